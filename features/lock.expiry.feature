Feature: An expired lease can be cleaned up by any instance
  As an operator of several instances,
  I want leases to end on their own once their TTL has passed,
  so that a lease nobody released does not keep its resource forever.

  . RULES:
  .   * A lease expires once the deciding instance's clock reaches
  .     its expiry time: the acquisition time plus the TTL (30 s by default).
  .   * Any instance may clean up expired leases, not only their holder.
  .   * Cleanup never removes a valid lease, and reports (and logs) what it
  .     removed; a dry run reports what it would remove, and does nothing.
  .   * The status says how long each lease has left: milliseconds under a
  .     second, then seconds, minutes and hours, one decimal.

  Background:
    Given instances A and B share a store

  @frozen_clock
  Scenario: Unless told otherwise, a lease lasts 30 s
    When instance A tries to acquire "resource-1"
    Then instance A's lease on "resource-1" expires 30 s after it was acquired

  Scenario: A non-owner cleans up an expired lease and frees its resource (plan 2.2)
    Given instance A holds "resource-1" with a TTL of 100 ms
    And 150 ms have passed
    When instance B cleans up expired locks
    Then the cleanup reports "resource-1"
    And the lease of "resource-1" is no longer stored
    And "resource-1" is free

  Scenario: A resource freed by cleanup can be acquired again (plan 2.2)
    Given instance A holds "resource-1" with a TTL of 100 ms
    And 150 ms have passed
    And instance B has cleaned up expired locks
    When instance B tries to acquire "resource-1" with a TTL of 30 s
    Then instance B gets the lock on "resource-1"

  Scenario Outline: A lease is valid until the clock reaches its expiry time: after <elapsed>, <comment>
    Given instance A holds "resource-1" with a TTL of 100 ms
    And <elapsed> have passed
    When instance B tries to acquire "resource-1"
    Then instance B <outcome>

    Examples: at its expiry time
      | elapsed | outcome                       | comment                            |
      | 100 ms  | gets the lock on "resource-1" | expired exactly at its expiry time |

    @frozen_clock
    Examples: at exact instants around it
      | elapsed | outcome                       | comment                            |
      | 0 ms    | is refused                    | just acquired                      |
      | 99 ms   | is refused                    | one millisecond before expiry      |
      | 5 min   | gets the lock on "resource-1" | long expired                       |

  @frozen_clock
  Scenario: Cleanup logs each lease it removes, and why
    Given instance A holds "resource-1" with a TTL of 100 ms
    And 150 ms have passed
    When instance B cleans up expired locks, asking what was done
    Then the cleanup had "resource-1" removed
    And an info message about "B: cleaned up 'resource-1' (removed): expired 50 ms ago (held by 'A', token <A's token>)" was logged

  Scenario: A dry run of cleanup says what it would remove, and neither removes nor logs anything
    Given instance A holds "resource-1" with a TTL of 100 ms
    And 150 ms have passed
    When instance B looks at what a cleanup would do
    Then the dry run would have "resource-1" removed
    And the lease of "resource-1" is still stored
    And nothing about "cleaned up" was logged

  Scenario: Cleanup leaves valid leases alone
    Given instance A holds "resource-1" with a TTL of 30 s
    And instance A holds "resource-2" with a TTL of 100 ms
    And 150 ms have passed
    When instance B cleans up expired locks
    Then the cleanup reports "resource-2" only
    And "resource-1" is still held by instance A with the lease it acquired

  Scenario: Cleanup finds expired leases whatever their resource names
    Given instance A holds "a:b/c" with a TTL of 100 ms
    And instance A holds "ressource-été" with a TTL of 100 ms
    And instance A holds a resource whose name is 1000 characters long, with a TTL of 100 ms
    And 150 ms have passed
    When instance B cleans up expired locks
    Then the cleanup reports "a:b/c", "ressource-été" and the long name

  Scenario: Cleanup of a lock directory without leases reports nothing
    When instance B cleans up expired locks
    Then the cleanup reports nothing

  @frozen_clock
  Scenario Outline: The status says how long a lease has left, in the unit that reads best: <ttl>, after <elapsed>
    Given instance A holds "resource-1" with a TTL of <ttl>
    And <elapsed> have passed
    When instance B looks at the status of every lease
    Then instance B reads "<told>" in the status of the lease on "resource-1"

    Examples:
      | ttl        | elapsed | told                |
      | 999 ms     | 0 ms    | expires in 999 ms   |
      | 1000 ms    | 0 ms    | expires in 1.0 s    |
      | 59999 ms   | 0 ms    | expires in 60.0 s   |
      | 60000 ms   | 0 ms    | expires in 1.0 min  |
      | 3599999 ms | 0 ms    | expires in 60.0 min |
      | 3600000 ms | 0 ms    | expires in 1.0 h    |
      | 36 h       | 0 ms    | expires in 36.0 h   |
      | 100 ms     | 101 ms  | expired 1 ms ago    |
      | 100 ms     | 2 h     | expired 2.0 h ago   |
