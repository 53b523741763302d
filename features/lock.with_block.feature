@frozen_clock
Feature: Work under a with-block keeps its lease, and learns at the end if it lost it
  As a holder that wraps its work in `with coordinator.lock(resource):`,
  I want the lease kept alive for as long as the work runs,
  and to be told, not left guessing, if another instance could have worked beside me.

  . RULES:
  .   * The block waits for the lease (see lock.retry), keeps it alive while it
  .     runs (renewed every third of its TTL) and releases it at the end.
  .   * If the lease was lost at any moment during the block (broken, or taken
  .     over after it expired), leaving the block raises a lost-lease error
  .     (LockLost) naming the resource; a block that raised an error of its
  .     own raises that one, with a note of the loss. A lost lease is never
  .     taken again.
  .   * Without a keep-alive, the lease lasts its TTL, and a block that
  .     outlasts it learns of a takeover the same way.

  Background:
    Given instances A, B and C share a store

  Scenario: A block that works longer than its TTL keeps the resource all along
    Given instance B will try to acquire "resource-1" 60 s from now
    When instance A works on "resource-1" under its lock for 100 s with a TTL of 30 s
    Then instance B is refused
    And instance A's work ended holding its lease on "resource-1"
    And instance A's lease was renewed 10 times, keeping its fencing token

  Scenario: A block whose lease is broken while it works learns it when the block ends
    Given instance C will break the lease on "resource-1" 45 s from now
    When instance A works on "resource-1" under its lock for 100 s with a TTL of 30 s
    Then instance A is told, as its block ends, that it lost its lease on "resource-1"
    And "resource-1" is free

  Scenario: A block that fails after its lease was broken raises its own error, with a note of the loss
    Given instance C will break the lease on "resource-1" 45 s from now
    When instance A works on "resource-1" under its lock for 100 s with a TTL of 30 s, then fails with "disk full"
    Then instance A's block raised its own error "disk full", noting that it lost its lease on "resource-1"
    And "resource-1" is free

  Scenario: Without a keep-alive, a block whose lease expired and was taken over learns it when the block ends
    Given instance C will acquire "resource-1" 150 ms from now
    When instance A works on "resource-1" under its lock without keeping it alive, for 200 ms with a TTL of 100 ms
    Then instance A is told, as its block ends, that it lost its lease on "resource-1"
    And "resource-1" is still held by instance C with the lease it acquired
