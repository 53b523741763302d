@redis
Feature: On Redis, a failing or restarted server is never taken for a free resource
  As a user whose instances run on several hosts and share a Redis server,
  I want lockspec on Redis to keep the promises it keeps on files,
  so that a key of the wrong type, a server that is down or a restart never
  gives a resource to a second holder unnoticed.

  . RULES:
  .   * A lease is one string key in the store's namespace; a key of another
  .     type where a lease belongs is unreadable: set aside, never overwritten.
  .   * Expiry is the instances' judgement, but the server drops a key by
  .     itself a safety net (safety_net_ms, by default a day) after its lease
  .     expired, so that crashed holders' keys do not pile up forever.
  .   * A server that does not answer is a storage error naming the server,
  .     never "the lock is busy" and never a free resource.
  .   * A server that restarted without persistence has lost every lease and
  .     fencing counter: the next token still exceeds every token issued
  .     before, because tokens follow the clock (see lock.renewal_and_fencing).
  .   * A keep-alive whose lease vanished in a restart reports the loss.
  .   * A claim, a renewal, a release or a read whose reply was lost is made
  .     once more, and recognised as done: the lease it stored, renewed or
  .     removed was its own. A removal by cleanup is not made again: the next
  .     cleanup finds whatever is left.
  .   * A server that stalls is a storage error once the instance's timeout
  .     (timeout_ms) has passed; one that refuses writes (out of memory, a
  .     read-only replica) is a storage error with the server's reason.
  .   * A connection the server dropped is replaced at once; a password in
  .     the server's URL never shows in an error or the status.

  Background:
    Given instances A and B share a store

  Scenario: By default the server expires a lease's key by itself a day after the lease expires
    When instance A tries to acquire "resource-1" with a TTL of 30 s
    Then instance A gets the lock on "resource-1"
    And the server lets the key of "resource-1" expire by itself 30 s plus 24 h after it was written

  @frozen_clock
  Scenario: The status lists every lease, even more than one round trip reads
    Given instance A holds 1200 resources
    When instance B looks at the status of every lease
    Then instance B's status lists 1200 leases, every one held

  Scenario: A key of another type where a lease belongs is set aside, and the resource taken over
    Given the key of the lease of "resource-1" holds a Redis hash
    When instance A tries to acquire "resource-1"
    Then instance A gets the lock on "resource-1"
    And the unreadable entry was kept aside, reading '<hash>'
    And a warning about "it is a Redis hash" was logged

  Scenario Outline: With the server down, every call is a storage error naming the server: <action>
    Given instance B holds "resource-1"
    And the Redis server is down
    When instance B <action>
    Then instance B fails with a storage error naming "redis.sock" and "Connection refused"

    Examples:
      | action                            |
      | tries to acquire "resource-2"     |
      | releases its lock on "resource-1" |
      | renews its lock on "resource-1"   |
      | cleans up expired locks           |

  @frozen_clock
  Scenario: After a restart that lost every key, the next token still exceeds every token issued before
    Given instance A holds "resource-1"
    And the Redis server has restarted, losing every key
    And 1 ms have passed
    When instance B tries to acquire "resource-1"
    Then instance B gets the lock on "resource-1"
    And its fencing token is higher than that of instance A's lease

  Scenario: After a restart that lost every key and script, the status reads the leases taken since
    Given instance A holds "resource-1"
    And the Redis server has restarted, losing every key
    And instance B holds "resource-2"
    When instance A looks at the status of every lease
    Then instance A's status lists, in this order:
      | resource   | state |
      | resource-2 | held  |

  @frozen_clock
  Scenario: A keep-alive whose lease vanished in a restart reports the loss
    Given instance A holds "resource-1" with a TTL of 30 s
    And instance A keeps its lease on "resource-1" alive
    And the Redis server has restarted, losing every key
    When 10 s pass
    Then instance A is told it lost its lease on "resource-1" because "another instance took it over, or it was cleaned up or broken"

  Scenario Outline: A connection the server dropped is replaced at once: instance A <action>
    Given instance A holds "resource-1"
    And the Redis server has dropped every client's connection
    When instance A <action>
    Then <outcome>

    Examples:
      | action                            | outcome                                                           |
      | tries to acquire "resource-2"     | instance A gets the lock on "resource-2"                          |
      | releases its lock on "resource-1" | the release by instance A succeeds                                |
      | renews its lock on "resource-1"   | the renewal by instance A of its lease on "resource-1" is granted |
      | cleans up expired locks           | the cleanup reports nothing                                       |

  Scenario Outline: A password in the server's URL never shows in an error: <case>
    Given instance C is connected to "<url>"
    When instance C tries to acquire "resource-1"
    Then instance C fails with a storage error naming "<shown>" and "Connection refused"
    And what instance C was told does not mention "hunter2"

    Examples:
      | case                              | url                                                            | shown                                           |
      | alone in the user part            | redis://:hunter2@127.0.0.1:1/0                                 | 'redis://127.0.0.1:1/0'                         |
      | after a user name, which is shown | redis://app:hunter2@127.0.0.1:1/0                              | 'redis://app@127.0.0.1:1/0'                     |
      | as a parameter, beside another    | redis://127.0.0.1:1/0?password=hunter2&db=3                    | 'redis://127.0.0.1:1/0?db=3'                    |
      | as the only parameter             | redis://127.0.0.1:1/0?password=hunter2                         | 'redis://127.0.0.1:1/0'                         |
      | beside one that sorts after it    | redis://127.0.0.1:1/0?password=hunter2&socket_keepalive=yes    | 'redis://127.0.0.1:1/0?socket_keepalive=yes'    |
      | beside a parameter left blank     | redis://127.0.0.1:1/0?password=hunter2&client_name=            | 'redis://127.0.0.1:1/0?client_name='            |

  Scenario Outline: A command whose reply was lost is made again, and recognised: instance A <action>, losing <which>
    Given instance A reaches the server through a link that can lose replies
    And instance A holds "resource-1"
    And instance B held "resource-2" until 1 s ago
    And the link of instance A loses <which>
    When instance A <action>
    Then <outcome>
    And <afterwards>

    Examples:
      | action                                   | which                        | outcome                                                           | afterwards                                                          |
      | tries to acquire "resource-3"            | the next reply               | instance A gets the lock on "resource-3"                          | "resource-3" is still held by instance A with the lease it acquired |
      | tries to acquire "resource-2"            | the reply after the next one | instance A gets the lock on "resource-2"                          | "resource-2" is still held by instance A with the lease it acquired |
      | renews its lock on "resource-1" for 60 s | the reply after the next one | the renewal by instance A of its lease on "resource-1" is granted | "resource-1" is held by instance A                                  |
      | releases its lock on "resource-1"        | the next reply               | the release by instance A succeeds                                | "resource-1" is free                                                |
      | cleans up expired locks                  | the next reply               | the cleanup reports "resource-2"                                  | "resource-1" is held by instance A                                  |
      | looks at the status of every lease       | the next reply               | instance A sees "resource-1" as held                              | "resource-2" is free                                                |

  @frozen_clock
  Scenario: A fencing counter far too long to be a number is unreadable, and tokens go on from the clock
    Given instance A has acquired and released "resource-1"
    And the fencing counter of "resource-1" holds 5000 digits
    And 1 ms have passed
    When instance B tries to acquire "resource-1"
    Then instance B gets the lock on "resource-1"
    And its fencing token is higher than that of instance A's lease
    And a warning about "fencing counter" was logged

  Scenario Outline: A server that refuses writes is a storage error naming it and its reason: <case>
    Given <refusal>
    When instance <name> tries to acquire "resource-1"
    Then instance <name> fails with a storage error naming "<where>" and "<reason>"
    And nothing was stored on <which>

    Examples:
      | case          | refusal                                         | name | where        | reason                    | which       |
      | out of memory | the Redis server is out of memory               | B    | redis.sock   | used memory > 'maxmemory' | the server  |
      | a replica     | instance C reaches only a replica of the server | C    | replica.sock | read only replica         | the replica |

  @real_clock
  Scenario: A server that stalls is a storage error once the instance's timeout has passed, not a wait for ever
    Given instance C waits at most 200 ms for each answer of the server
    And the Redis server has stalled
    When instance C tries to acquire "resource-1"
    Then instance C fails with a storage error naming "redis.sock" and "Timeout"
    And instance C gave up within 1 s

  Scenario Outline: A key that spells a resource's name otherwise than lockspec does is nobody's lease: <spelling>
    Given the key "<key>" of the namespace holds 'INVALID{JSON'
    When instance A cleans up expired locks
    Then the cleanup reports nothing
    And the key "<key>" of the namespace still holds 'INVALID{JSON'

    Examples:
      | spelling                             | key                   |
      | a letter percent-encoded             | {%72esource-1}:lease  |
      | a brace percent-encoded in lowercase | {a%7bb}:lease         |

  Scenario Outline: A namespace may be up to 256 characters long, no longer: <length>
    When an instance is started on the Redis store with a namespace of <length> characters
    Then <outcome>

    Examples:
      | length | outcome                                                             |
      | 256    | it keeps its keys under that namespace                              |
      | 257    | starting it fails with an invalid argument error naming "namespace" |
