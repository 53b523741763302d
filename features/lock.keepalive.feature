Feature: A holder keeps its lease alive while it works, and learns when it lost it
  As a holder doing work that may outlast a TTL,
  I want my lease renewed in the background for as long as I work,
  and to be told, not left guessing, when I no longer hold it.

  . RULES:
  .   * A keep-alive renews the lease every third of its TTL, keeping its
  .     lock id and fencing token: two renewals may fail before it expires.
  .     Used as a with-block, it renews until the block ends.
  .   * One failed renewal (a storage hiccup, or any error a store lets
  .     escape) is logged and retried, not a loss.
  .   * The lease is lost when a renewal is refused (another instance took it
  .     over, or it was cleaned up or broken) or when renewals keep failing
  .     until the lease has expired. The holder is told once, through the
  .     keep-alive's state and its callback; renewal never re-takes a lease
  .     someone else holds.
  .   * A holder that stops renewing (paused, crashed) is taken over no earlier
  .     than the expiry of its last renewal. A renewal that runs more than half
  .     an interval late is logged as a warning.
  .   In the frozen-clock scenarios, renewals happen at the keep-alive's
  .   interval on the scenario's clock; "paused" means they stop happening.

  Background:
    Given instances A and B share a store
    And instance A holds "resource-1" with a TTL of 30 s

  @frozen_clock
  Scenario: A holder that keeps renewing is never taken over, across many TTLs
    Given instance A keeps its lease on "resource-1" alive
    And 5 min have passed
    When instance B tries to acquire "resource-1"
    Then instance B is refused
    And instance A still holds its lease on "resource-1"
    And instance A's lease was renewed 30 times, keeping its fencing token
    And nothing was logged at warning level or above

  @frozen_clock
  Scenario Outline: A holder whose renewals stop is taken over no earlier than their last expiry: <elapsed> after the pause, <comment>
    Given instance A keeps its lease on "resource-1" alive
    And 60 s have passed
    And instance A is paused
    And <elapsed> have passed
    When instance B tries to acquire "resource-1"
    Then instance B <outcome>

    Examples:
      | elapsed  | outcome                       | comment                               |
      | 29999 ms | is refused                    | last renewal at 60 s: expires at 90 s |
      | 30 s     | gets the lock on "resource-1" | expired                               |

  @frozen_clock
  Scenario: A holder whose lease was broken is told once, however long it runs on
    Given instance A keeps its lease on "resource-1" alive
    And instance B will break the lease on "resource-1" 15 s from now
    When 5 min pass
    Then instance A is told it lost its lease on "resource-1" because "another instance took it over, or it was cleaned up or broken"
    And "resource-1" is free

  @frozen_clock
  Scenario: A paused holder learns it lost its lease as soon as it resumes
    Given instance A keeps its lease on "resource-1" alive
    And instance A is paused
    And 31 s have passed
    And instance B has acquired "resource-1"
    When instance A resumes
    Then instance A is told it lost its lease on "resource-1" because "another instance took it over"
    And "resource-1" is still held by instance B with the lease it acquired

  @frozen_clock
  Scenario Outline: A holder that resumes after a pause is warned only if its renewal ran over half an interval late: paused <elapsed>
    Given instance A keeps its lease on "resource-1" alive
    And instance A is paused
    And <elapsed> have passed
    When instance A resumes
    Then <warned>
    And instance A still holds its lease on "resource-1"

    Examples:
      | elapsed  | warned                                                                                     | comment                  |
      | 15 s     | nothing was logged at warning level or above                                               | exactly half an interval |
      | 15001 ms | a warning about "renewal of 'resource-1' (token <A's token>) ran 5001 ms late" was logged  | 1 ms more than half      |
      | 25 s     | a warning about "renewal of 'resource-1' (token <A's token>) ran 15000 ms late" was logged | one and a half intervals |

  @frozen_clock
  Scenario: A holder's late release after a takeover is refused and leaves the new lease alone
    Given instance A keeps its lease on "resource-1" alive
    And instance A is paused
    And 31 s have passed
    And instance B has acquired "resource-1"
    When instance A stops keeping its lease alive and releases it
    Then the release by instance A is refused
    And "resource-1" is still held by instance B with the lease it acquired

  @frozen_clock
  Scenario: One failed renewal is retried, not taken for a loss
    Given instance A keeps its lease on "resource-1" alive
    And the next renewal by instance A fails with a storage error, "Input/output error"
    When 60 s pass
    Then instance A still holds its lease on "resource-1"
    And a warning about "renewing 'resource-1' (token <A's token>) failed, will retry" was logged

  @frozen_clock
  Scenario: A renewal that fails with an error no store should raise is retried, not the end of the keep-alive
    Given instance A keeps its lease on "resource-1" alive
    And the next renewal by instance A fails with an error no store should raise, "connection reset by peer"
    When 60 s pass
    Then instance A still holds its lease on "resource-1"
    And instance A's lease was renewed 5 times, keeping its fencing token
    And a warning about "failed, will retry: connection reset by peer" was logged

  @frozen_clock
  Scenario: A keep-alive used as a with-block stops renewing when the block ends
    Given instance A has kept its lease on "resource-1" alive in a with-block while 60 s passed
    And 30 s have passed
    When instance B tries to acquire "resource-1"
    Then instance B gets the lock on "resource-1"
    And instance A's lease was renewed 6 times, keeping its fencing token

  @frozen_clock
  Scenario: Renewals failing until the lease has expired lose it
    Given instance A keeps its lease on "resource-1" alive
    And every renewal by instance A fails with a storage error, "No space left on device"
    When 30 s pass
    Then instance A is told it lost its lease on "resource-1" because "renewals failed until the lease expired"
    And an error about "lost: renewals failed until the lease expired" was logged

  @processes @in_process
  Scenario: The keep-alive's own thread renews a short lease for as long as the holder works
    Given instance A holds "resource-2" with a TTL of 300 ms
    And instance A keeps its lease on "resource-2" alive
    And 1 s have passed
    When instance B tries to acquire "resource-2"
    Then instance B is refused
    And instance A still holds its lease on "resource-2"
