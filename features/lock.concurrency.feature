Feature: Exactly one of many simultaneous contenders wins
  As several instances starting at the same moment,
  we want exactly one of us to get a free resource, whatever the timing,
  so that mutual exclusion does not depend on luck.

  . RULES:
  .   * Contenders race for real: threads released together by a barrier,
  .     or separate OS processes started together.
  .   * Exactly one contender gets the lease; all others are refused.
  .   * Under sustained contention no update is lost and no two holders
  .     ever overlap; fencing tokens increase with every acquisition.

  Scenario: Of five threads trying at the same moment, exactly one wins (plan 2.7)
    Given instances T1, T2, T3, T4 and T5 share a store
    When they all try to acquire "resource-1" at the same moment, each in its own thread
    Then exactly one of them gets the lock on "resource-1" and the others are refused
    And "resource-1" is held by the winner

  @processes
  Scenario: Of five OS processes trying at the same moment, exactly one wins (plan 2.7)
    When 5 separate processes try to acquire "resource-1" at the same moment
    Then exactly one of them gets the lock on "resource-1" and the others are refused
    And "resource-1" is held by the winner

  @processes @stress
  Scenario: Sixteen processes sharing a counter lose no update and never overlap (plan 2.7, stress)
    When 16 separate processes each increment a shared counter 30 times under the lock on "resource-1"
    Then the counter reads 480
    And no two processes were ever inside the critical section at the same time
    And every process saw the fencing token increase with every acquisition

  @processes @file
  Scenario: An instance shared with a forked child still excludes between parent and child
    # The child pauses inside its short critical section, right after writing
    # its lease aside: the parent must wait for it, not walk in beside it.
    When a process forks, and the parent tries to acquire "resource-1" while its child is inside its critical section
    Then exactly one of them gets the lock on "resource-1" and the others are refused
    And "resource-1" is held by the winner
