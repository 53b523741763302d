@file
Feature: The lock directory's guards never let two instances in, and never wedge it
  As an operator of instances that share a lock directory,
  I want lockspec's own bookkeeping to survive whatever happens to it or to its processes,
  so that exclusion holds and nobody waits forever.

  . RULES:
  .   * Every change to a lease file happens inside a guard: a short critical
  .     section on one of the guard files in the lock directory's .lockspec/
  .     folder, which also holds the fencing counters.
  .   * An operator or a tmp cleaner may remove .lockspec/, or files in it, at
  .     any time. An instance never shares a guard with another because it
  .     still had the old guard file open, and no guard file is made anew
  .     while an instance is inside a guard.
  .   * A process that dies inside a guard releases it, even when a child it
  .     forked lives on. A process stopped inside a guard makes others wait
  .     only up to their own timeout, then fail with an error naming the guard
  .     and how long they waited for it.
  .   * What a writer that died inside a guard left half written is removed
  .     by cleanup; a live writer's is never touched.
  .   * A guard file is never followed if it is a symbolic link: someone who
  .     may write in the folder cannot make lockspec write elsewhere.
  .   * Which guard file guards a lease file is fixed by the file's name
  .     (its CRC-32, modulo 256): every lockspec that shares the lock
  .     directory, of any version, takes the same guard for the same lease.

  Background:
    Given instances A, B and C share a store

  Scenario Outline: A lease file's guard is the one its name gives, in every lockspec: <resource>
    When instance A tries to acquire "<resource>"
    Then instance A gets the lock on "<resource>"
    And the only guard file in lockspec's bookkeeping folder is "<guard file>"

    Examples:
      | resource    | guard file | comment                               |
      | resource-1  | guard-24   |                                       |
      | resource-2  | guard-8a   |                                       |
      | orders/2026 | guard-c0   | its file name: %orders%2F2026.lock    |
      | ressource-é | guard-60   | its file name: %ressource-%C3%A9.lock |

  @in_process
  Scenario: An instance that had a guard file open does not share its guard with one that made a new guard file
    Given instance B has acquired and released "resource-1"
    And a tmp cleaner has removed the guard files in lockspec's bookkeeping folder
    And instance C has acquired and released "resource-1"
    When instance B acquires "resource-1" while instance C tries to acquire it in the middle of B's write
    Then instance B gets the lock on "resource-1"
    And instance C is refused
    And "resource-1" is still held by instance B with the lease it acquired

  @in_process
  Scenario: Removing the bookkeeping folder while an instance is inside its guard lets nobody else in meanwhile
    Given instance B has acquired and released "resource-1"
    When instance B acquires "resource-1" while, just before B writes its lease, lockspec's bookkeeping folder is removed and instance C tries to acquire it
    Then instance B fails with a storage error naming "resource-1.lock" and "No such file or directory"
    And instance C gets the lock on "resource-1"

  Scenario: A symbolic link planted as a guard file is never followed
    Given instance B has acquired and released "resource-1"
    And every guard file in lockspec's bookkeeping folder is a symbolic link to a file outside the lock directory
    When instance C tries to acquire "resource-1"
    Then instance C fails with a storage error naming ".lockspec/guard-" and "Too many levels of symbolic links"
    And nothing outside the lock directory was touched

  Scenario: A guard file moved out of the lock directory is not used through a link put in its place, even by an instance that has it open
    Given instance B has acquired and released "resource-1"
    And the guard files in lockspec's bookkeeping folder were moved out of the lock directory, and symbolic links to them put in their place
    When instance B tries to acquire "resource-1"
    Then instance B fails with a storage error naming ".lockspec/guard-" and "Too many levels of symbolic links"
    And nothing outside the lock directory was touched

  @in_process
  Scenario Outline: An instance that found a guard file missing uses the one made meanwhile, never a link: <made>
    When instance B tries to acquire "resource-1" while another process, holding the lock directory to make guard files, makes that resource's guard file as <made>
    Then instance B <outcome>
    And nothing outside the lock directory was touched

    Examples:
      | made                                                 | outcome                                                                                 |
      | a regular file                                       | gets the lock on "resource-1"                                                           |
      | a symbolic link to a file outside the lock directory | fails with a storage error naming ".lockspec/guard-24" and "Too many levels of symbolic links" |

  @processes
  Scenario: A process killed inside its guard releases it, even while a child it forked lives on
    Given a separate process P, whose forked child lives on, was killed while it wrote its lease on "resource-1"
    When instance B waits up to 2 s to acquire "resource-1"
    Then instance B gets the lock on "resource-1"
    And instance B got it within 1 s

  @processes
  Scenario: A process stopped inside its guard makes others fail within their own timeout, naming the guard
    Given a separate process P was stopped while it wrote its lease on "resource-1"
    When instance B waits up to 500 ms to acquire "resource-1"
    Then instance B fails with a storage error naming ".lockspec/guard-" and "is one stopped inside it?"
    And instance B's error says how long it waited for the guard: between 250 ms and 1 s
    And instance B gave up within 1 s

  @processes @in_process
  Scenario: A thread waiting for a stopped process's guard does not hold up another thread of its instance past its timeout
    Given a separate process P was stopped while it wrote its lease on "resource-1"
    And another thread of instance B is waiting up to 2 s to acquire "resource-1"
    When instance B waits up to 300 ms to acquire "resource-1"
    Then instance B fails with a storage error naming ".lockspec/guard-" and "is one stopped inside it?"
    And instance B's error says how long it waited for the guard: between 250 ms and 1 s
    And instance B gave up within 1 s

  @processes
  Scenario: Cleanup removes what a writer that died inside its guard left half written
    Given a separate process P was killed while it wrote its lease on "resource-1"
    When instance B cleans up expired locks
    Then nothing half written is left in lockspec's bookkeeping folder
    And "resource-1" is free

  @in_process
  Scenario: Cleanup leaves alone the half-written lease of a writer that is still inside its guard
    Given instance C has used every guard of the lock directory
    When instance B cleans up expired locks while instance A is in the middle of writing its lease on "resource-1"
    Then instance A gets the lock on "resource-1"
    And the cleanup reports nothing
    And nothing half written is left in lockspec's bookkeeping folder
