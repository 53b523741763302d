@redis
Feature: On Redis, a failing or restarted server is never taken for a free resource
  As a user whose instances run on several hosts and share a Redis server,
  I want lockspec on Redis to keep the promises it keeps on files,
  so that a key of the wrong type, a server that is down or a restart never
  gives a resource to a second holder unnoticed.

  . RULES:
  .   * A lease is one string key in the store's namespace; a key of another
  .     type where a lease belongs is unreadable: set aside, never overwritten.
  .   * A server that does not answer is a storage error naming the server,
  .     never "the lock is busy" and never a free resource.
  .   * A server that restarted without persistence has lost every lease and
  .     fencing counter: the next token still exceeds every token issued
  .     before, because tokens follow the clock (see lock.renewal_and_fencing).
  .   * A keep-alive whose lease vanished in a restart reports the loss.
  .   * A claim or a release whose reply was lost is made once more, and
  .     recognised as done: the lease it stored (or removed) was its own.
  .   * A connection the server dropped is replaced at once; a password in
  .     the server's URL never shows in an error or the status.

  Background:
    Given instances A and B share a store

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
      | action                             |
      | tries to acquire "resource-2"      |
      | releases its lock on "resource-1"  |
      | renews its lock on "resource-1"    |
      | cleans up expired locks            |

  @frozen_clock
  Scenario: After a restart that lost every key, the next token still exceeds every token issued before
    Given instance A holds "resource-1"
    And the Redis server has restarted, losing every key
    And 1 ms have passed
    When instance B tries to acquire "resource-1"
    Then instance B gets the lock on "resource-1"
    And its fencing token is higher than that of instance A's lease

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
      | action                             | outcome                                      |
      | tries to acquire "resource-2"      | instance A gets the lock on "resource-2"     |
      | releases its lock on "resource-1"  | the release by instance A succeeds           |
      | renews its lock on "resource-1"    | the renewal by instance A of its lease on "resource-1" is granted |
      | cleans up expired locks            | the cleanup reports nothing                  |

  Scenario: A password in the server's URL never shows in an error
    Given instance C is connected to "redis://:hunter2@127.0.0.1:1/0"
    When instance C tries to acquire "resource-1"
    Then instance C fails with a storage error naming "redis://127.0.0.1:1/0" and "Connection refused"
    And what instance C was told does not mention "hunter2"

  Scenario: A claim whose reply was lost is recognised as granted when it is made again
    Given instance A reaches the server through a link that can lose replies
    And instance A has acquired and released "resource-0"
    And the link of instance A loses the next reply
    When instance A tries to acquire "resource-1"
    Then instance A gets the lock on "resource-1"
    And "resource-1" is still held by instance A with the lease it acquired

  Scenario: A release whose reply was lost is recognised as done when it is made again
    Given instance A reaches the server through a link that can lose replies
    And instance A holds "resource-1"
    And the link of instance A loses the next reply
    When instance A releases its lock on "resource-1"
    Then the release by instance A succeeds
    And "resource-1" is free

  @frozen_clock
  Scenario: A fencing counter far too long to be a number is unreadable, and tokens go on from the clock
    Given instance A has acquired and released "resource-1"
    And the fencing counter of "resource-1" holds 5000 digits
    And 1 ms have passed
    When instance B tries to acquire "resource-1"
    Then instance B gets the lock on "resource-1"
    And its fencing token is higher than that of instance A's lease
    And a warning about "fencing counter" was logged
