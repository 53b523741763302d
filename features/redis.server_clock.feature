@redis
Feature: On Redis, instances whose clocks disagree judge every lease on the server's clock
  As a user whose instances run on hosts whose clocks disagree by minutes,
  I want them to judge leases on the Redis server's clock rather than their own,
  so that a clock running ahead never steals a valid lease, and a clock
  running behind neither waits past an expiry nor issues a lower token.

  . RULES:
  .   * With the server_clock option (server_clock=yes in the store's URL),
  .     an instance stamps its leases, judges their expiry and issues fencing
  .     tokens on the server's time. Every reply of the server carries that
  .     time: it costs no round trip of its own.
  .   * The instance's own clock then only measures the time since the last
  .     reply: how far it is set off does not matter. (In these scenarios the
  .     instances have talked to the server before, so they judge on a time
  .     learned earlier, not on one they just asked for.)
  .   * Every instance of a namespace should use the option alike: one on its
  .     own clock judges leases stamped on the server's by its own (see
  .     lock.clock_skew for the margin that protects instances on their own
  .     clocks).

  Background:
    Given instance A, whose own clock runs 10 min behind the server's, judges expiry on the server's clock
    And instance A holds "resource-1" with a TTL of 30 s

  Scenario: A lease is stamped with the server's time, whatever the holder's own clock says
    Then instance A's lease on "resource-1" was acquired on the server's clock, at most 1 s before now on it, to expire 30 s later

  Scenario: A lease is stamped with the server's time to the millisecond
    When instance A acquires "resource-2" between two readings of the server's clock
    Then instance A's lease on "resource-2" was stamped between the two readings

  @frozen_clock
  Scenario Outline: Between replies, an instance counts the time since the server's last on its own clock: after <elapsed>
    Given <elapsed> have passed
    When instance A looks at the status of every lease
    Then instance A sees "resource-1" as <state>

    Examples:
      | elapsed | state   |
      | 20 s    | held    |
      | 30 s    | expired |

  Scenario Outline: A lease valid on the server's clock keeps out an instance whose clock runs 10 minutes ahead: instance B <action>
    Given instance B, whose own clock runs 10 min ahead of the server's, judges expiry on the server's clock
    And instance B has acquired and released "resource-0"
    When instance B <action>
    Then <outcome>

    Examples:
      | action                             | outcome                              |
      | tries to acquire "resource-1"      | instance B is refused                |
      | cleans up expired locks            | the cleanup reports nothing          |
      | looks at the status of every lease | instance B sees "resource-1" as held |

  Scenario: The same instance judging on its own clock steals the lease: why the option exists
    Given instance B, whose own clock runs 10 min ahead of the server's, judges expiry on its own clock
    When instance B tries to acquire "resource-1"
    Then instance B gets the lock on "resource-1"

  Scenario: A lease expired on the server's clock is taken over by an instance whose clock runs 10 minutes behind
    Given the stored lease of "resource-2" was written by instance C and expired 1 s ago on the server's clock
    And instance B, whose own clock runs 10 min behind the server's, judges expiry on the server's clock
    And instance B has acquired and released "resource-0"
    When instance B tries to acquire "resource-2"
    Then instance B gets the lock on "resource-2"

  Scenario: After a restart that lost every key, an instance whose clock runs behind still issues a higher token
    Given the Redis server has restarted, losing every key
    And instance B, whose own clock runs 30 min behind the server's, judges expiry on the server's clock
    When instance B tries to acquire "resource-1"
    Then instance B gets the lock on "resource-1"
    And its fencing token is higher than that of instance A's lease
