@frozen_clock
Feature: Instances whose clocks disagree do not steal live leases
  As instances on several hosts, whose clocks never agree exactly,
  we want a safety margin for clock skew,
  so that a fast clock cannot take over a lease its holder still counts as valid.

  . RULES:
  .   * Each instance judges expiry on its own clock: on another host, a lease
  .     may look expired while its holder's clock still gives it time.
  .   * With a clock skew margin, an instance takes over or cleans up another
  .     instance's lease only once its clock reaches the expiry time plus the
  .     margin. The margin is 0 by default: instances on one host share a clock.
  .   * Set the margin to a bound on how far the instances' clocks disagree.
  .   * An instance's status judges leases as the instance does, margin included.

  Background:
    Given instances A and B share a store
    And instance A holds "resource-1" with a TTL of 30 s

  Scenario Outline: A clock running ahead takes over a live lease unless the margin covers the skew: margin <margin>, after <elapsed>
    Given instance B's clock runs 2 s ahead, and it allows for <margin> of clock skew
    And <elapsed> have passed
    When instance B tries to acquire "resource-1"
    Then instance B <outcome>

    Examples:
      | margin | elapsed | outcome                       | comment                                               |
      | 0 ms   | 28 s    | gets the lock on "resource-1" | the steal: A's lease has 2 s left on A's clock        |
      | 2 s    | 28 s    | is refused                    | B's clock reads the expiry, the margin is not over    |
      | 2 s    | 29999 ms | is refused                   | one millisecond before the expiry on A's clock        |
      | 2 s    | 30 s    | gets the lock on "resource-1" | expired on A's clock too                              |

  Scenario: Cleanup waits out the margin as well
    Given instance B's clock runs 2 s ahead, and it allows for 2 s of clock skew
    And 29 s have passed
    When instance B cleans up expired locks
    Then the cleanup reports nothing
    And "resource-1" is still held by instance A with the lease it acquired

  Scenario Outline: The status says when a lease it still respects expired within the margin: after <elapsed>
    Given instance B's clock runs 2 s ahead, and it allows for 2 s of clock skew
    And <elapsed> have passed
    When instance B looks at the status of every lease
    Then instance B reads "<told>" in the status of the lease on "resource-1"

    Examples:
      | elapsed  | told                                            | comment                             |
      | 27999 ms | expires in 1 ms                                 | on B's clock, 1 ms before expiry    |
      | 28 s     | expired 0 ms ago, within the clock skew margin  | B's clock reads the expiry itself   |
      | 29 s     | expired 1.0 s ago, within the clock skew margin | half the margin used                |

  Scenario: What an instance sets aside is dated on its own clock
    Given instance B's clock runs 2 h ahead, and it allows for 0 ms of clock skew
    And the stored lease of "resource-2" reads 'INVALID{JSON'
    And instance B has cleaned up expired locks
    When instance B looks at the status of every lease
    Then instance B reads "set aside 0 ms ago, unreadable: not JSON" in the status of the lease on "resource-2"

  Scenario: The status agrees with the margin: a lease it still respects is held
    Given instance B's clock runs 2 s ahead, and it allows for 2 s of clock skew
    And 29 s have passed
    When instance B looks at the status of every lease
    Then instance B sees "resource-1" as held
