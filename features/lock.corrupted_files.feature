Feature: An unreadable lease never blocks a resource
  As an operator,
  I want a stored lease that is damaged or not a lease at all to be set aside,
  so that a crash mid-write or a stray entry never wedges a resource,
  and I can still look at what was there.

  . RULES:
  .   * A stored lease that is empty, not JSON, JSON of the wrong shape, with
  .     missing or mistyped fields, of an unknown format or over 64 KiB is
  .     unreadable. On files, so is anything at a lease path that is not a
  .     regular file (a directory, a FIFO, a symbolic link): links are never
  .     followed. On Redis, so is a key of another type.
  .   * An unreadable lease does not block acquisition: the acquiring
  .     instance takes it over. Cleanup removes it too.
  .   * Either way the unreadable entry is set aside (on files, into the lock
  .     directory's .lockspec/unreadable/ folder; on Redis, under an aside
  .     key of the namespace) and a warning is logged.
  .   * What was set aside shows in the status, and is kept for a week;
  .     then cleanup purges it.
  .   * Files whose names lockspec never writes are not leases and are left alone.

  Background:
    Given instance A uses a store

  Scenario: Cleanup moves a corrupted lease aside (plan 2.6)
    Given the stored lease of "resource-1" reads 'INVALID{JSON'
    When instance A cleans up expired locks
    Then the cleanup reports "resource-1"
    And the lease of "resource-1" is no longer stored
    And the unreadable entry was kept aside, reading 'INVALID{JSON'
    And a warning about "unreadable" was logged

  Scenario: A long name's lease that is a copy of another resource's is unreadable, never that resource's lease
    Given instance A holds "resource-2" with a TTL of 30 s
    And the stored lease of a resource whose name is 1000 characters long is a copy of the stored lease of "resource-2"
    When instance A tries to acquire the resource with the long name
    Then instance A gets the lock on the resource with the long name
    And a warning about "it names another resource, 'resource-2'" was logged
    And "resource-2" is still held by instance A with the lease it acquired

  Scenario: Cleanup sets aside a long name's lease that is a copy of another resource's, whose name alone cannot tell
    Given instance A holds "resource-2" with a TTL of 30 s
    And the stored lease of a resource whose name is 1000 characters long is a copy of the stored lease of "resource-2"
    When instance A cleans up expired locks
    Then a warning about "it names another resource, 'resource-2'" was logged
    And "resource-2" is still held by instance A with the lease it acquired
    And the unreadable entry was kept aside, a copy of the stored lease of "resource-2"

  @frozen_clock
  Scenario: What was set aside shows in the status, with how long ago and why
    Given the stored lease of "resource-1" reads 'INVALID{JSON'
    And instance A has cleaned up expired locks
    And 90 min have passed
    When instance A looks at the status of every lease
    Then instance A sees "resource-1" as set aside
    And instance A reads "set aside 1.5 h ago, unreadable: not JSON" in the status of the lease on "resource-1"

  Scenario: The status lists leases by resource, each resource's lease before what was set aside of it
    Given the stored lease of "resource-1" reads 'INVALID{JSON'
    And instance A has cleaned up expired locks
    And instance A holds "resource-1"
    And instance A holds "resource-0"
    When instance A looks at the status of every lease
    Then instance A's status lists, in this order:
      | resource   | state     |
      | resource-0 | held      |
      | resource-1 | held      |
      | resource-1 | set aside |

  @frozen_clock
  Scenario Outline: What was set aside is kept for a week, then purged by cleanup: after <elapsed>
    Given the stored lease of "resource-1" reads 'INVALID{JSON'
    And instance A has cleaned up expired locks
    And <elapsed> have passed
    When instance A cleans up expired locks, asking what was done
    Then the unreadable entry <outcome>
    And the cleanup <report>

    Examples:
      | elapsed | outcome                                | report                     |
      | 167 h   | was kept aside, reading 'INVALID{JSON' | did nothing                |
      | 168 h   | was purged                             | had "resource-1" purged    |

  @frozen_clock @in_process
  Scenario: A cleanup that finds what was set aside purged meanwhile reports nothing, and no error
    Given instance B shares the store too
    And the stored lease of "resource-1" reads 'INVALID{JSON'
    And instance A has cleaned up expired locks
    And 168 h have passed
    When instance A cleans up expired locks, asking what was done, but instance B purges what was set aside right after A has looked at it
    Then the cleanup did nothing
    And the unreadable entry was purged

  @file @real_clock
  Scenario: What an older lockspec set aside, named without the time, is dated by when it was put there
    Given an older lockspec set aside the unreadable lease of "resource-1", naming it without the time
    When instance A looks at the status of every lease
    Then instance A's status dates what was set aside of "resource-1" from when it was put there, give or take 50 ms

  Scenario Outline: An instance takes over a resource whose lease is unreadable: <comment> (plan 2.6)
    Given the stored lease of "resource-1" reads '<contents>'
    When instance A tries to acquire "resource-1"
    Then instance A gets the lock on "resource-1"
    And the unreadable entry was kept aside, reading '<contents>'
    And a warning about "A: took over 'resource-1' (token <A's token>), whose lease was unreadable" was logged

    Examples:
      | contents                                 | comment                                     |
      | INVALID{JSON                             | the plan's example                          |
      |                                          | empty: a crash before anything was written  |
      | {"format": 1, "resource": "resource-1"   | truncated                                   |
      | [1, 2, 3]                                | JSON, but not an object                     |
      | {"format": 1, "resource": "resource-1"}  | fields missing                              |
      | {"format": 1, "resource": "resource-1", "lock_id": "x", "owner": "Z", "acquired_at_ms": "soon", "expires_at_ms": 1, "fencing_token": 1, "ttl_ms": 1} | a mistyped field |
      | {"format": 1, "resource": "resource-2", "lock_id": "x", "owner": "Z", "acquired_at_ms": 0, "expires_at_ms": 99999999999999, "fencing_token": 1, "ttl_ms": 1} | a lease of another resource |
      | {"format": 1, "resource": "resource-0", "lock_id": "x", "owner": "Z", "acquired_at_ms": 0, "expires_at_ms": 99999999999999, "fencing_token": 1, "ttl_ms": 1} | a lease of a resource named before it |
      | {"format": 99}                           | an unknown format                           |
      | {"format": 2, "resource": "resource-1", "lock_id": "x", "owner": "Z", "acquired_at_ms": 0, "expires_at_ms": 99999999999999, "fencing_token": 1, "ttl_ms": 1} | a future format version: not guessed at |
      | {"format": 1, "resource": "resource-1", "lock_id": "x", "owner": "Z", "acquired_at_ms": 0, "expires_at_ms": 99999999999999, "fencing_token": 1} | no TTL |
      | {"format": 1, "resource": "resource-1", "lock_id": "x", "owner": "Z", "acquired_at_ms": 0, "expires_at_ms": 99999999999999, "fencing_token": 1, "ttl_ms": 0} | a TTL of zero |
      | {"format": 1, "resource": "resource-1", "lock_id": "x", "owner": "Z", "acquired_at_ms": 0, "expires_at_ms": 99999999999999, "fencing_token": 1, "ttl_ms": 1, "pid": -1} | a negative pid |
      | {"format": 1, "resource": "resource-1", "lock_id": "x", "owner": "Z", "acquired_at_ms": 0, "expires_at_ms": 99999999999999, "fencing_token": 1, "ttl_ms": 1, "host": 7} | a host that is not a name |
      | {"format": 1, "resource": "resource-1", "lock_id": "x", "owner": "", "acquired_at_ms": 0, "expires_at_ms": 99999999999999, "fencing_token": 1, "ttl_ms": 1} | no owner |
      | {"format": 1, "resource": "resource-1", "lock_id": "x", "owner": "Z", "acquired_at_ms": 5, "expires_at_ms": 4, "fencing_token": 1, "ttl_ms": 1} | expires before it was acquired |
      | {"format": 1, "resource": "resource-1", "lock_id": "x", "owner": "Z", "acquired_at_ms": 0, "expires_at_ms": 99999999999999, "fencing_token": 0, "ttl_ms": 1} | no valid fencing token |
      | {"format": 1, "resource": "resource-1", "lock_id": "x", "owner": "Z", "acquired_at_ms": true, "expires_at_ms": 99999999999999, "fencing_token": 1, "ttl_ms": 1} | a boolean for a time |

  Scenario Outline: The status of an unreadable lease names its first field of the wrong type: <field>, <comment>
    Given the stored lease of "resource-1" reads '<contents>'
    When instance A looks at the status of every lease
    Then instance A reads "unreadable: field '<field>' is missing or not a <type>" in the status of the lease on "resource-1"

    Examples:
      | field         | type | comment                      | contents |
      | lock_id       | str  | missing                      | {"format":1,"resource":"resource-1","owner":"B","acquired_at_ms":1767225600379,"expires_at_ms":1767225630379,"fencing_token":7,"ttl_ms":30000} |
      | fencing_token | int  | a boolean, after valid ones  | {"format":1,"resource":"resource-1","lock_id":"cccccccccccccccccccccccccccccccc","owner":"B","acquired_at_ms":1767225600379,"expires_at_ms":1767225630379,"fencing_token":true,"ttl_ms":30000} |
      | pid           | int  | an optional field, as text   | {"format":1,"resource":"resource-1","lock_id":"cccccccccccccccccccccccccccccccc","owner":"B","acquired_at_ms":1767225600379,"expires_at_ms":1767225630379,"fencing_token":7,"ttl_ms":30000,"host":"host-1","pid":"4242","process":""} |

  Scenario: A stored lease too large to be a lease is set aside without being read whole
    Given the stored lease of "resource-1" is 1024 KiB of garbage
    When instance A tries to acquire "resource-1"
    Then instance A gets the lock on "resource-1"
    And the unreadable entry was kept aside, 1024 KiB long

  Scenario Outline: A lease is at most 64 KiB, however valid the JSON beyond: <size> bytes
    Given the stored lease of "resource-1" is a valid lease of instance C, padded with spaces to <size> bytes
    When instance A tries to acquire "resource-1"
    Then instance A <outcome>

    Examples:
      | size  | outcome                       |
      | 65536 | is refused                    |
      | 65537 | gets the lock on "resource-1" |

  Scenario: A stored lease nested too deep to parse is unreadable, not a crash
    Given the stored lease of "resource-1" is JSON nested 5120 levels deep
    When instance A tries to acquire "resource-1"
    Then instance A gets the lock on "resource-1"
    And the unreadable entry was kept aside, 10 KiB long

  @file
  Scenario Outline: Something other than a regular file at a lease path is set aside, never followed: <thing>
    Given the lease path of "resource-1" is <thing>
    When instance A tries to acquire "resource-1"
    Then instance A gets the lock on "resource-1"
    And the <kind> was kept aside
    And a warning about "<why>" was logged
    And nothing outside the lock directory was touched

    Examples:
      | thing                                                  | kind          | why                     |
      | a directory                                            | directory     | it is a directory       |
      | a FIFO                                                 | FIFO          | it is a special file    |
      | a unix socket                                          | socket        | it is a special file    |
      | a symbolic link to a file outside the lock directory   | symbolic link | it is a symbolic link   |
      | a symbolic link to a folder outside the lock directory | symbolic link | it is a symbolic link   |
      | a dangling symbolic link                               | symbolic link | it is a symbolic link   |

  @file
  Scenario Outline: Files that lockspec never writes are left alone by cleanup: <file name>, <comment>
    Given the file "<file name>" in the lock directory contains 'INVALID{JSON'
    When instance A cleans up expired locks
    Then the cleanup reports nothing
    And the file "<file name>" in the lock directory still contains 'INVALID{JSON'

    Examples:
      | file name           | comment                                      |
      | notes.txt           | not a lease file name                        |
      | resource-1.lock.bak | a backup copy                                |
      | .hidden.lock        | hidden, like lockspec's own files            |
      | %ab.lock            | decodes to "ab", whose lease file is ab.lock |
      | %%zz.lock           | not a valid percent-encoding                 |
      | %%ff.lock           | encodes bytes that are not UTF-8             |
      | %%61.lock           | encodes "a", whose lease file is a.lock      |
      | with space.lock     | a character no lease file name has           |
