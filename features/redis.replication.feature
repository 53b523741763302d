@redis
Feature: On Redis, a lease can wait for replicas, so that a failover keeps it
  As a user whose Redis server fails over to a replica,
  I want a lease granted only once a replica has it too,
  so that a failover to that replica cannot hand my resource to a second holder.

  . RULES:
  .   * By default a lease is granted as soon as the server has stored it: a
  .     replica that missed the write and is promoted does not know it
  .     (fencing tokens are then what protects the resource).
  .   * With the replicas option, a lease is granted, and renewed, only once
  .     that many replicas acknowledged the write (WAIT), within the time
  .     allowed (by default 500 ms): one more round trip. The time allowed
  .     for any answer of the server must be at least 1 s longer.
  .   * A claim that too few replicas acknowledged is undone and reported as
  .     a storage error: the caller is not told "busy", and the resource is
  .     not left held by a lease nobody was granted. That holds for a claim
  .     recognised as its own after its reply was lost, too: WAIT counts only
  .     the writes of its own connection, so the store writes again first.
  .   * A renewal that too few replicas acknowledged is a storage error; a
  .     keep-alive retries it until the lease expires.

  Background:
    Given a replica of the Redis server is in sync with it
    And instance A is granted a lease only once 1 replica acknowledged it, waiting at most 1 s

  Scenario: A lease the replica acknowledged is granted, and the replica holds it
    When instance A tries to acquire "resource-1"
    Then instance A gets the lock on "resource-1"
    And the replica holds the lease of "resource-1" exactly as the server does

  Scenario: With the replica stalled, the claim is undone and reported, not granted
    Given the replica has stalled
    When instance A tries to acquire "resource-1"
    Then instance A fails with a storage error naming "redis.sock" and "0 of 1 replicas acknowledged it within 1000 ms"
    And the lease of "resource-1" is no longer stored

  Scenario: By default a claim waits at most 500 ms for its replicas, which answers awaited 1 s longer allow
    Given instance C is granted a lease only once 1 replica acknowledged it, waiting for each answer of the server at most 1.5 s
    And the replica has stalled
    When instance C tries to acquire "resource-1"
    Then instance C fails with a storage error naming "redis.sock" and "0 of 1 replicas acknowledged it within 500 ms"
    And the lease of "resource-1" is no longer stored

  Scenario: A claim recognised as its own after its reply was lost still waits for the replica
    Given instance A reaches the server through a link that can lose replies, and is granted a lease only once 1 replica acknowledged it, waiting at most 1 s
    And instance A has acquired and released "resource-0"
    And the replica has stalled
    And the link of instance A loses the next reply
    When instance A tries to acquire "resource-1"
    Then instance A fails with a storage error naming "link.sock" and "0 of 1 replicas acknowledged it within 1000 ms"
    And the lease of "resource-1" is no longer stored

  Scenario: A claim whose wait for the replica lost its reply is undone and reported, not granted
    Given instance A reaches the server through a link that can lose replies, and is granted a lease only once 1 replica acknowledged it, waiting at most 1 s
    And instance A has acquired and released "resource-0"
    And the link of instance A loses the reply after the next one
    When instance A tries to acquire "resource-1"
    Then instance A fails with a storage error naming "link.sock" and "Connection"
    And the lease of "resource-1" is no longer stored

  Scenario: With the replica stalled, a renewal is a storage error
    Given instance A holds "resource-1"
    And the replica has stalled
    When instance A renews its lock on "resource-1"
    Then instance A fails with a storage error naming "redis.sock" and "0 of 1 replicas acknowledged it within 1000 ms"

  Scenario: Without the option, a lease is granted even with the replica stalled: why the option exists
    Given instance B shares the store too
    And the replica has stalled
    When instance B tries to acquire "resource-1"
    Then instance B gets the lock on "resource-1"
