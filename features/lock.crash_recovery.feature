Feature: A crashed holder blocks others no longer than its TTL
  As an instance waiting for a resource,
  I want the lease of a holder that died without releasing to end with its TTL,
  so that one crash never stops the whole system.

  . RULES:
  .   * A crashed holder's lease stays on disk: nothing releases it.
  .   * Until its expiry it is as valid as any lease; after it, the lease
  .     is stale and any instance may clean it up or take it over directly.
  .   * Except when the holder provably no longer runs: its lease comes from
  .     this host (same boot, same pid namespace) and its pid is gone or now
  .     belongs to a process started at another time. Then it is abandoned,
  .     taken over or cleaned up at once. Anything that cannot be proven
  .     (another host, no recorded identity) falls back to the TTL. An
  .     instance can be told not to check.
  .   * A lease names the process that acquired it or last renewed it: a
  .     holder that forks, lets its child keep the lease alive and exits (as a
  .     daemon starts) has handed the lease to its child.
  .   * Whoever takes over gets a higher fencing token than the dead holder.

  Background:
    Given instances A and B share a store

  @frozen_clock
  Scenario: A crashed holder's lease still blocks others before its expiry
    Given instance A holds "resource-1" with a TTL of 100 ms
    And instance A has crashed without releasing it
    And 99 ms have passed
    When instance B tries to acquire "resource-1"
    Then instance B is refused
    And the lease of "resource-1" is still stored

  Scenario: A crashed holder's expired lease stays on disk as a stale lease
    Given instance A holds "resource-1" with a TTL of 100 ms
    And instance A has crashed without releasing it
    When 150 ms pass
    Then the lease of "resource-1" is still stored
    But "resource-1" is free

  Scenario: Another instance cleans up after a crashed holder and acquires (plan 2.3)
    Given instance A holds "resource-1" with a TTL of 100 ms
    And instance A has crashed without releasing it
    And 150 ms have passed
    And instance B has cleaned up expired locks
    When instance B tries to acquire "resource-1" with a TTL of 30 s
    Then instance B gets the lock on "resource-1"
    And its fencing token is higher than that of instance A's lease

  @frozen_clock
  Scenario: Another instance takes over a crashed holder's expired lease without a cleanup
    Given instance A holds "resource-1" with a TTL of 100 ms
    And instance A has crashed without releasing it
    And 150 ms have passed
    When instance B tries to acquire "resource-1"
    Then instance B gets the lock on "resource-1"
    And its fencing token is higher than that of instance A's lease
    And an info message about "B: took over 'resource-1' from 'A', whose lease expired 50 ms ago (token <A's token>, now <B's token>)" was logged

  Scenario Outline: A lease whose holder process provably no longer runs is taken over at once: <holder>
    Given instance A holds "resource-1" with a TTL of 30 s
    But its lease records the holder as <holder>
    When instance B tries to acquire "resource-1"
    Then instance B <outcome>

    Examples:
      | holder                                                               | outcome                       | comment                                       |
      | a process on this host that has exited                               | gets the lock on "resource-1" | its pid is gone: provably dead                |
      | a process on this host that has exited, not yet reaped by its parent | gets the lock on "resource-1" | a zombie: its pid is still there              |
      | a newer process on this host that reuses its pid                     | gets the lock on "resource-1" | same pid, another start time                  |
      | a running process on this host                                       | is refused                    | alive                                         |
      | a process on another host, named like this one but shorter           | is refused                    | cannot be checked here: the TTL decides       |
      | a process on another host, named like this one but longer            | is refused                    | a cloned machine keeps the boot id it had     |
      | a process in another pid namespace of this host                      | is refused                    | another container's pids are not ours         |
      | a process in a pid namespace of this host numbered above ours        | is refused                    | whichever way the namespaces sort             |
      | a process whose identity was not recorded                            | is refused                    | an older lease, or a system without /proc     |
      | a process whose pid was not recorded                                 | is refused                    | pid 0: there is no process to look at         |
      | a process with a pid no system gives                                 | is refused                    | 2^31: not a pid, and no error either          |
      | an older process on this host whose pid a newer one reuses           | gets the lock on "resource-1" | the realistic order: the holder started first |

    @in_process
    Examples: The judging instance's own process
      | holder                                     | outcome                       | comment                                      |
      | this very process, started at another time | gets the lock on "resource-1" | its own pid, once a holder's that has exited |
      | this very process                          | is refused                    | another instance of this process holds it    |

  Scenario: The takeover of a dead holder's lease says why it did not wait for the expiry
    Given instance A holds "resource-1" with a TTL of 30 s
    But its lease records the holder as a process on this host that has exited
    When instance B tries to acquire "resource-1"
    Then an info message about "B: took over 'resource-1' from 'A', whose process" was logged
    And an info message about "is gone (token <A's token>, now <B's token>)" was logged

  Scenario: Cleanup removes the lease of a holder that provably no longer runs
    Given instance A holds "resource-1" with a TTL of 30 s
    But its lease records the holder as a process on this host that has exited
    When instance B cleans up expired locks
    Then the cleanup reports "resource-1"
    And "resource-1" is free

  Scenario: An instance told not to check holders waits for the expiry even of a dead holder
    Given instance B does not check whether holders are alive
    And instance A holds "resource-1" with a TTL of 30 s
    But its lease records the holder as a process on this host that has exited
    When instance B tries to acquire "resource-1"
    Then instance B is refused

  Scenario: An instance told not to check holders reports a dead holder's lease as held
    Given instance B does not check whether holders are alive
    And instance A holds "resource-1" with a TTL of 30 s
    But its lease records the holder as a process on this host that has exited
    When instance B looks at the status of every lease
    Then instance B sees "resource-1" as held

  @processes
  Scenario: A holder process killed with SIGKILL on this host is taken over at once (plan 2.3)
    Given a separate process P holds "resource-1" with a TTL of 30 s
    And process P has been killed with SIGKILL
    When instance B waits up to 5 s to acquire "resource-1"
    Then instance B gets the lock on "resource-1"
    And instance B got it within 1 s
    And its fencing token is higher than that of process P's lease

  @processes
  Scenario: A holder that hands its lease to a forked child and exits keeps the resource
    Given a separate process P holds "resource-1" with a TTL of 30 s
    And process P has handed its lease to a forked child that keeps it alive, and exited
    When instance B tries to acquire "resource-1"
    Then instance B is refused
    And the lease on "resource-1" names process P's child as its holder

  @processes
  Scenario: A forked child handed a lease that was taken over meanwhile is told at once, and takes nothing
    Given a separate process P holds "resource-1" with a TTL of 200 ms
    And instance B has waited up to 5 s to acquire "resource-1"
    When process P hands its lease to a forked child and exits
    Then process P's child is told at once that it lost the lease: "another instance took it over, or it was cleaned up or broken"
    And process P's child's keep-alive has stopped: no thread of it is left
    And "resource-1" is still held by instance B with the lease it acquired

  @processes
  Scenario: Without the liveness check, a killed holder is taken over once its TTL has passed (plan 2.3)
    Given instance B does not check whether holders are alive
    And a separate process P holds "resource-1" with a TTL of 300 ms
    And process P has been killed with SIGKILL
    When instance B waits up to 5 s to acquire "resource-1"
    Then instance B gets the lock on "resource-1"
    And instance B's lease was acquired no earlier than process P's lease expired
