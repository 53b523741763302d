Feature: The defects of the plan's original coordinator stay fixed
  As the maintainers of lockspec,
  we pin each defect found in the TypeScript coordinator the plan was written
  against (shared/upstream-defects.md) with a scenario that fails,
  deterministically, on the defective behaviour.

  . RULES:
  .   Each rule below names one upstream defect and the behaviour that replaces it.
  .   Races are reproduced exactly, by letting another instance act at the
  .   precise moment between one instance's look and its action.

  Background:
    Given instances A, B and C share a store

  Rule: 1. A lease file is never seen half written

    @in_process @file
    Scenario: While an instance writes its lease, others see no lease file or a complete one
      When instance A acquires "resource-1" while instance B looks at it mid-write
      Then instance B saw "resource-1" free, not an unreadable lease file
      And "resource-1" is held by instance A

  Rule: 2. Of two instances taking over the same expired lease, only one succeeds

    @in_process
    Scenario: An instance whose takeover was overtaken gets nothing and removes nothing
      Given instance A holds "resource-1" with a TTL of 100 ms
      And 150 ms have passed
      When instance B tries to acquire "resource-1", but instance C takes it over right after B has looked
      Then instance B is refused
      And "resource-1" is still held by instance C with the lease it acquired

    @in_process
    Scenario: An instance whose takeover finds the lease released meanwhile gets nothing, and no error
      Given instance A holds "resource-1" with a TTL of 100 ms
      And 150 ms have passed
      When instance B tries to acquire "resource-1", but instance A releases it right after B has looked
      Then instance B is refused
      And the lease of "resource-1" is no longer stored

  Rule: 3. Cleanup never deletes a lease that was replaced after it looked

    @in_process
    Scenario: A cleanup overtaken by a takeover leaves the new lease alone
      Given instance A holds "resource-1" with a TTL of 100 ms
      And 150 ms have passed
      When instance B cleans up expired locks, but instance C takes over "resource-1" right after B has looked
      Then the cleanup reports nothing
      And "resource-1" is still held by instance C with the lease it acquired

    @in_process
    Scenario: A cleanup that finds the lease released meanwhile reports nothing, and no error
      Given instance A holds "resource-1" with a TTL of 100 ms
      And 150 ms have passed
      When instance B cleans up expired locks, but instance A releases "resource-1" right after B has looked
      Then the cleanup reports nothing
      And the lease of "resource-1" is no longer stored

  Rule: 4. Distinct resource names are distinct locks, always inside the lock directory

    Scenario Outline: Names that upstream merged into one lock file are separate locks: "<first>" and "<second>"
      Given instance A holds "<first>"
      When instance B tries to acquire "<second>"
      Then instance B gets the lock on "<second>"

      Examples:
        | first | second |
        | a:b   | a/b    |
        | a:b   | a_b    |
        | a/b   | a_b    |
        | Ab    | ab     |

    @file
    Scenario Outline: A lease file never lands outside the lock directory, whatever the name: "<name>", <comment>
      When instance A tries to acquire "<name>"
      Then instance A gets the lock on "<name>"
      And its lease file lies directly in the lock directory
      And nothing outside the lock directory was touched

      Examples:
        | name              | comment                 |
        | ../x              | parent folder           |
        | ../../etc/passwd  | far outside             |
        | /etc/passwd       | absolute path           |
        | a/../../b         | climbs out midway       |
        | .                 | the folder itself       |
        | ..                | its parent              |
        | .lockspec         | lockspec's own folder   |
        | ressource-été-資源 | non-ASCII               |
        | con               | a reserved name elsewhere |

    @file
    Scenario: A very long name gets a lease file of its own
      Given instance A holds a resource whose name is 1000 characters long
      When instance B tries to acquire a resource with the same name but its last character changed
      Then instance B gets the lock on that resource
      And every lease file name is at most 255 bytes long

    @file
    Scenario: A plain name has a predictable lease file
      When instance A tries to acquire "resource-1"
      Then the lease file of "resource-1" is "resource-1.lock" in the lock directory

    @file
    Scenario Outline: A long name's lease file is named after it up to 200 characters, encoded up to 240 with its %, hashed beyond: <length>
      Given instance A holds a resource whose name is <length> characters long
      When instance A looks at the status of every lease
      Then the lease file of that resource is named <form>
      And instance A sees that resource as held

      Examples:
        | length | form              |
        | 200    | after it          |
        | 201    | after it, encoded |
        | 239    | after it, encoded |
        | 240    | by its hash       |

  Rule: 5. A release names one acquisition, even within one millisecond

    @frozen_clock
    Scenario: Releasing an old acquisition does not release a newer one made in the same millisecond
      Given instance A holds "resource-1"
      And instance A has released its lock on "resource-1"
      And instance A has acquired "resource-1" again within the same millisecond
      When instance A releases its first lock on "resource-1"
      Then the release by instance A is refused
      And "resource-1" is still held by instance A with the lease it acquired

  Rule: 6. A contender retries while the resource is held, not only after a cleanup

    @frozen_clock
    Scenario: A contender gets the resource once its holder releases it between retries
      Given instance A holds "resource-1" with a TTL of 30 s
      And instance A will release "resource-1" 15 ms from now
      When instance B tries to acquire "resource-1" with up to 2 retries
      Then instance B gets the lock on "resource-1"
      And instance B made 3 attempts

  Rule: 7. A storage failure is an error, never "the lock is busy"

    @in_process @file
    Scenario: A full disk while acquiring raises an error naming the lease file
      Given the next write by instance A fails with "No space left on device"
      When instance A tries to acquire "resource-1"
      Then instance A fails with a storage error naming "resource-1.lock" and "No space left on device"

    @in_process @file
    Scenario: A failing release raises an error instead of being swallowed
      Given instance A holds "resource-1"
      And the next removal by instance A fails with "Input/output error"
      When instance A releases its lock on "resource-1"
      Then instance A fails with a storage error naming "resource-1.lock" and "Input/output error"

  Rule: 8. Backoff waits are made on the instance's clock, so tests control them

    @frozen_clock
    Scenario: Every backoff wait is taken on the clock and none is slept for real
      Given instance A holds "resource-1" with a TTL of 30 s
      When instance B tries to acquire "resource-1" with up to 5 retries
      Then instance B waited 10 ms, 20 ms, 40 ms, 80 ms and 160 ms between them
      And exactly 310 ms passed on the clock while instance B tried
      And lockspec never slept for real

  Rule: 9. Fencing tokens let a protected resource reject a holder whose lease passed on

    Scenario: A write from a paused holder whose lease was taken over is rejected
      Given instance A holds "resource-1" with a TTL of 100 ms
      And instance A has written "first" to the protected resource with its fencing token
      And 150 ms have passed
      And instance B has acquired "resource-1"
      And instance B has written "second" to the protected resource with its fencing token
      When instance A writes "late" to the protected resource with its fencing token
      Then the protected resource rejects the write of instance A
      And the protected resource holds "second"
