@in_process @file
Feature: A storage fault is a clear error that loses nothing
  As a holder whose disk may fill up, fail or refuse access at any moment,
  I want every storage fault reported as an error naming the path and the cause,
  with nothing half-written and nobody's lease damaged,
  so that a fault is never mistaken for contention and never costs a lease.

  . RULES:
  .   * A fault while writing, moving or removing a lease file raises a
  .     LockStorageError naming the file and the operating system's reason.
  .   * The lock directory is left exactly as it was: no temporary file is
  .     left visible, no lease is half written, and the lease that was there
  .     (anyone's) is unchanged.
  .   * Once the fault has cleared, the same action succeeds.
  .   A lease is written aside and then moved into place: "write" is the
  .   first step, "rename" the second; "removal" deletes a lease file.

  Background:
    Given instances A and B share a store

  Scenario Outline: A fault at any step of any action is reported and damages nothing: <error> at <operation> when it <action>, <situation>
    Given <situation>
    And the next <operation> by instance A fails with "<error>"
    When instance A <action>
    Then instance A fails with a storage error naming "resource-1.lock" and "<error>"
    And the lock directory holds exactly what it held before the fault
    And instance A succeeds when it tries again

    Examples:
      | situation                                                              | operation | error                   | action                            |
      | "resource-1" is free                                                   | write     | No space left on device | tries to acquire "resource-1"     |
      | "resource-1" is free                                                   | write     | Input/output error      | tries to acquire "resource-1"     |
      | "resource-1" is free                                                   | write     | Permission denied       | tries to acquire "resource-1"     |
      | "resource-1" is free                                                   | rename    | Input/output error      | tries to acquire "resource-1"     |
      | instance B held "resource-1" until 1 s ago                             | write     | No space left on device | tries to acquire "resource-1"     |
      | instance B held "resource-1" until 1 s ago                             | rename    | Permission denied       | tries to acquire "resource-1"     |
      | instance A holds "resource-1"                                          | write     | No space left on device | renews its lock on "resource-1"   |
      | instance A holds "resource-1"                                          | rename    | Input/output error      | renews its lock on "resource-1"   |
      | instance A holds "resource-1"                                          | removal   | Input/output error      | releases its lock on "resource-1" |
      | instance A holds "resource-1"                                          | removal   | Permission denied       | releases its lock on "resource-1" |
      | instance B held "resource-1" until 1 s ago                             | removal   | Permission denied       | cleans up expired locks           |
      | the stored lease of "resource-1" reads 'INVALID{JSON' | rename  | Input/output error      | cleans up expired locks           |
      | the stored lease of "resource-1" reads 'INVALID{JSON' | rename  | Permission denied       | tries to acquire "resource-1"     |
      | the stored lease of "resource-1" reads 'INVALID{JSON' | write   | No space left on device | tries to acquire "resource-1"     |
