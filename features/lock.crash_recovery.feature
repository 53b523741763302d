Feature: A crashed holder blocks others no longer than its TTL
  As an instance waiting for a resource,
  I want the lease of a holder that died without releasing to end with its TTL,
  so that one crash never stops the whole system.

  . RULES:
  .   * A crashed holder's lease stays on disk: nothing releases it.
  .   * Until its expiry it is as valid as any lease; after it, the lease
  .     is stale and any instance may clean it up or take it over directly.
  .   * Whoever takes over gets a higher fencing token than the dead holder.

  Background:
    Given instances A and B share a lock directory

  Scenario: A crashed holder's lease still blocks others before its expiry
    Given instance A holds "resource-1" with a TTL of 100 ms
    And instance A has crashed without releasing it
    And 99 ms have passed
    When instance B tries to acquire "resource-1"
    Then instance B is refused
    And the lease file of "resource-1" is still on disk

  Scenario: A crashed holder's expired lease stays on disk as a stale lease
    Given instance A holds "resource-1" with a TTL of 100 ms
    And instance A has crashed without releasing it
    When 150 ms pass
    Then the lease file of "resource-1" is still on disk
    But "resource-1" is free

  Scenario: Another instance cleans up after a crashed holder and acquires (plan 2.3)
    Given instance A holds "resource-1" with a TTL of 100 ms
    And instance A has crashed without releasing it
    And 150 ms have passed
    And instance B has cleaned up expired locks
    When instance B tries to acquire "resource-1" with a TTL of 30 s
    Then instance B gets the lock on "resource-1"
    And its fencing token is higher than that of instance A's lease

  Scenario: Another instance takes over a crashed holder's expired lease without a cleanup
    Given instance A holds "resource-1" with a TTL of 100 ms
    And instance A has crashed without releasing it
    And 150 ms have passed
    When instance B tries to acquire "resource-1"
    Then instance B gets the lock on "resource-1"
    And its fencing token is higher than that of instance A's lease
    And an info message about "B: took over 'resource-1' from 'A', whose lease expired 50 ms ago (token 1, now 2)" was logged

  @processes
  Scenario: A holder process killed with SIGKILL is taken over once its TTL has passed (plan 2.3)
    Given a separate process P holds "resource-1" with a TTL of 300 ms
    And process P has been killed with SIGKILL
    When instance B waits up to 5 s to acquire "resource-1"
    Then instance B gets the lock on "resource-1"
    And its fencing token is higher than that of process P's lease
