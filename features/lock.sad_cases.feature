Feature: Bad input gets a clear error and loses nothing
  As a developer calling lockspec,
  I want a mistake in my call to fail at once with a message naming it,
  and a failing disk to be reported as such, never as "the lock is busy",
  so that I can tell my bugs and broken storage apart from contention.

  . RULES:
  .   * An invalid argument raises an InvalidArgumentError (also a ValueError)
  .     naming the argument, before anything is written.
  .   * A storage failure raises a LockStorageError naming the path and the
  .     system's reason, and leaves no partial lease file behind.
  .   * Neither destroys or changes another holder's lease.

  Background:
    Given instances A and B share a store

  Scenario Outline: An invalid argument is rejected with a message naming it: <argument>, <comment>
    When instance A tries to acquire <resource> with a TTL of <ttl_ms> ms and <max_retries> retries
    Then instance A fails with an invalid argument error naming "<argument>"
    And nothing was stored

    Examples:
      | resource      | ttl_ms | max_retries | argument    | comment                 |
      | ""            | 30000  | 0           | resource    | empty name              |
      | "bad\x00name" | 30000  | 0           | resource    | NUL byte                |
      | "x" * 1025    | 30000  | 0           | resource    | longer than 1024        |
      | 42            | 30000  | 0           | resource    | not a string            |
      | "\ud800"      | 30000  | 0           | resource    | not encodable as UTF-8  |
      | "resource-1"  | 0      | 0           | ttl_ms      | zero                    |
      | "resource-1"  | -100   | 0           | ttl_ms      | negative                |
      | "resource-1"  | nan    | 0           | ttl_ms      | NaN                     |
      | "resource-1"  | inf    | 0           | ttl_ms      | infinite                |
      | "resource-1"  | 1e15   | 0           | ttl_ms      | absurd: over a year     |
      | "resource-1"  | "30s"  | 0           | ttl_ms      | a string, not a number  |
      | "resource-1"  | True   | 0           | ttl_ms      | a boolean, not a number |
      | "resource-1"  | 30000  | -1          | max_retries | negative                |
      | "resource-1"  | 30000  | 1.5         | max_retries | not a whole number      |
      | "resource-1"  | 30000  | 10001       | max_retries | a spin, not a backoff   |

  Scenario Outline: A TTL may be as long as a year, no longer: <ttl>
    When instance A tries to acquire "resource-1" with a TTL of <ttl>
    Then instance A <outcome>

    Examples:
      | ttl            | outcome                                              |
      | 8760 h         | gets the lock on "resource-1"                        |
      | 31536000001 ms | fails with an invalid argument error naming "ttl_ms" |

  Scenario Outline: Releasing or renewing something that is not a lock is rejected: <action>
    When instance A tries to <action> something that is not a lock
    Then instance A fails with an invalid argument error naming "lock"

    Examples:
      | action  |
      | release |
      | renew   |

  Scenario Outline: Invalid backoff settings are rejected with a message naming them: <argument> of base <base>, factor <factor>, cap <cap>, jitter <jitter>
    When an instance is started with a backoff of base <base> ms, factor <factor>, cap <cap> ms and jitter <jitter>
    Then starting it fails with an invalid argument error naming "<argument>"

    Examples:
      | base | factor | cap  | jitter | argument |
      | 0    | 2      | 1000 | 0      | base_ms  |
      | nan  | 2      | 1000 | 0      | base_ms  |
      | 10   | 0.5    | 1000 | 0      | factor   |
      | 10   | 0.99   | 1000 | 0      | factor   |
      | 10   | 2      | -1   | 0      | cap_ms   |
      | 10   | 2      | 1000 | 1.5    | jitter   |
      | 10   | 2      | 1000 | -0.5   | jitter   |

  Scenario Outline: What lockspec hands out cannot be changed behind its back: <what>
    Given instance A holds "resource-1"
    When someone changes <what>
    Then the change is refused

    Examples:
      | what                                                                     |
      | the owner of instance A's lease on "resource-1"                          |
      | the fencing token of instance A's lease on "resource-1"                  |
      | the base of a backoff                                                    |
      | the clock skew margin of a lease policy                                  |
      | the state in instance A's status of "resource-1"                         |
      | the action in instance A's dry-run cleanup report of an unreadable entry |
      | the lease in what the store holds for "resource-1", as observed          |
      | the problem of an entry the store set aside                              |

  Scenario: A clock skew margin of up to an hour is accepted, and told back
    When an instance is started allowing for 3600000 ms of clock skew
    Then it allows for 3600000 ms of clock skew, and detects dead holders

  Scenario Outline: An unusable clock skew margin is rejected with a message naming it: <comment>
    When an instance is started allowing for <margin> ms of clock skew
    Then starting it fails with an invalid argument error naming "max_clock_skew_ms"

    Examples:
      | margin  | comment                      |
      | -1      | negative                     |
      | nan     | NaN                          |
      | 3600001 | over an hour: a unit mistake |
      | "2s"    | a string, not a number       |

  Scenario Outline: What was set aside can be kept from 1 ms to ten years, no longer: <comment>
    When an instance is started keeping what it sets aside for <period> ms
    Then <outcome>

    Examples:
      | period       | outcome                                                                     | comment            |
      | 1            | it keeps what it sets aside for 1 ms                                        | the shortest       |
      | 315360000000 | it keeps what it sets aside for 315360000000 ms                             | ten years          |
      | 0            | starting it fails with an invalid argument error naming "keep_set_aside_ms" | zero               |
      | 315360000001 | starting it fails with an invalid argument error naming "keep_set_aside_ms" | ten years and 1 ms |
      | nan          | starting it fails with an invalid argument error naming "keep_set_aside_ms" | NaN                |

  Scenario Outline: A keep-alive renewing every <interval> ms is rejected: <comment>
    Given instance A holds "resource-1" with a TTL of 30 s
    When instance A starts a keep-alive on "resource-1" renewing every <interval> ms
    Then instance A fails with an invalid argument error naming "interval_ms"

    Examples:
      | interval | comment                                 |
      | 0        | zero: a loop that never waits           |
      | -5       | negative                                |
      | nan      | not a number                            |
      | 30000    | the TTL itself: it would always be late |
      | "10s"    | a string, not a number                  |

  Scenario: An empty instance id is rejected rather than replaced
    When an instance is started with the instance id ''
    Then starting it fails with an invalid argument error naming "instance_id"

  Scenario Outline: An instance id may be up to 256 characters long, no longer: <length>
    When an instance is started with an instance id of <length> characters
    Then <outcome>

    Examples:
      | length | outcome                                                               |
      | 256    | it is known by that instance id                                       |
      | 257    | starting it fails with an invalid argument error naming "instance_id" |

  Scenario Outline: An instance is given a store, not <what>: the error points to lockspec.connect
    When an instance is started with <what> where its store belongs
    Then starting it fails with an invalid argument error naming "store" and saying "lockspec.connect"

    Examples:
      | what                     |
      | a lock directory's path  |
      | an object with no leases |

  @file
  Scenario: A lock directory that is a regular file is reported as a storage error
    Given the path "not-a-folder" next to the lock directory is a regular file
    When instance C is started with "not-a-folder" as its lock directory
    Then starting it fails with a storage error naming "not-a-folder"

  @file
  Scenario Outline: A lock directory removed underneath the instances is an error, never recreated elsewhere: <action>
    Given the lock directory was removed underneath the instances
    When instance A <action>
    Then instance A fails with a storage error naming "locks" and "No such file or directory"
    And the lock directory does not exist

    Examples:
      | action                        |
      | tries to acquire "resource-1" |
      | cleans up expired locks       |

  @file
  Scenario: Lockspec's own bookkeeping folder being unusable is reported as a storage error
    Given the lock directory's ".lockspec" folder was replaced by a regular file
    When instance A tries to acquire "resource-1"
    Then instance A fails with a storage error naming ".lockspec" and "File exists"

  @in_process @file
  Scenario: A lease file that cannot be read is reported, not taken for a free resource
    Given instance B holds "resource-1"
    And the next read by instance A fails with "Input/output error"
    When instance A tries to acquire "resource-1"
    Then instance A fails with a storage error naming "resource-1.lock" and "Input/output error"
    And "resource-1" is still held by instance B with the lease it acquired

  @in_process @file
  Scenario: An unreadable lease file that cannot be moved aside stays where it is
    Given the stored lease of "resource-1" reads 'INVALID{JSON'
    And the next rename by instance A fails with "Permission denied"
    When instance A tries to acquire "resource-1"
    Then instance A fails with a storage error naming "resource-1.lock" and "Permission denied"
    And the stored lease of "resource-1" still reads 'INVALID{JSON'

  @in_process @file
  Scenario Outline: A storage failure while acquiring is reported with its path and cause: <error> at <operation>
    Given instance B holds "resource-2"
    And the next <operation> by instance A fails with "<error>"
    When instance A tries to acquire "resource-1"
    Then instance A fails with a storage error naming "resource-1.lock" and "<error>"
    And no lease file of "resource-1" was left behind
    And "resource-2" is still held by instance B with the lease it acquired

    Examples:
      | operation | error                   |
      | write     | No space left on device |
      | write     | Input/output error      |
      | rename    | Permission denied       |

  @in_process @file
  Scenario: A storage failure while releasing is reported, and the lease stays
    Given instance A holds "resource-1"
    And the next removal by instance A fails with "Input/output error"
    When instance A releases its lock on "resource-1"
    Then instance A fails with a storage error naming "resource-1.lock" and "Input/output error"
    And "resource-1" is still held by instance A with the lease it acquired

  @in_process @file
  Scenario: The next attempt succeeds once a storage failure has cleared
    Given the next write by instance A fails with "No space left on device"
    And instance A has tried to acquire "resource-1"
    When instance A tries to acquire "resource-1"
    Then instance A gets the lock on "resource-1"
