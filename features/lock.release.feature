Feature: Only the holder of an acquisition can release it
  As a holder,
  I want my lease to be safe from other instances' releases,
  so that nobody can free a resource I am still working on.

  . RULES:
  .   * Release removes the lease only if it still records that very acquisition
  .     (its lock id) and the caller is its owner.
  .   * Otherwise release answers "no" (False), raises nothing and touches nothing.
  .   * An expired lease that nobody took over still records its acquisition:
  .     its holder may release it.

  Background:
    Given instances A and B share a store

  Scenario: Each acquisition has a lock id of its own, 32 random hex digits
    Given instance A has acquired and released "resource-1"
    When instance A tries to acquire "resource-1"
    Then instance A's two acquisitions of "resource-1" have lock ids of 32 hex digits each, and they differ

  Scenario: A holder releasing with the lease as it first acquired it, after renewing it, releases it: one acquisition
    Given instance A holds "resource-1" with a TTL of 30 s
    And instance A has renewed its lock on "resource-1" for 60 s
    When instance A releases its first lock on "resource-1"
    Then the release by instance A succeeds
    And "resource-1" is free

  Scenario: A holder whose lease was overwritten with garbage is refused its release, and the garbage stays for cleanup
    Given instance A holds "resource-1"
    And the stored lease of "resource-1" reads 'INVALID{JSON'
    When instance A releases its lock on "resource-1"
    Then the release by instance A is refused
    And the stored lease of "resource-1" still reads 'INVALID{JSON'

  Scenario: A non-owner's release is refused quietly and the lease stays (plan 2.5)
    Given instance A holds "resource-1"
    When instance B tries to release instance A's lock on "resource-1"
    Then the release by instance B is refused
    And "resource-1" is still held by instance A with the lease it acquired

  Scenario: The holder can still release after a non-owner tried (plan 2.5)
    Given instance A holds "resource-1"
    And instance B has tried to release instance A's lock on "resource-1"
    When instance A releases its lock on "resource-1"
    Then the release by instance A succeeds
    And "resource-1" is free
    And the lease of "resource-1" is no longer stored

  Scenario: Releasing the same acquisition twice is refused the second time
    Given instance A holds "resource-1"
    And instance A has released its lock on "resource-1"
    When instance A releases its lock on "resource-1"
    Then the release by instance A is refused

  Scenario: A holder whose expired lease was taken over cannot release the new holder's lease
    Given instance A holds "resource-1" with a TTL of 100 ms
    And 150 ms have passed
    And instance B has acquired "resource-1"
    When instance A releases its lock on "resource-1"
    Then the release by instance A is refused
    And "resource-1" is still held by instance B with the lease it acquired

  Scenario: A holder may release its expired lease that nobody took over
    Given instance A holds "resource-1" with a TTL of 100 ms
    And 150 ms have passed
    When instance A releases its lock on "resource-1"
    Then the release by instance A succeeds
    And the lease of "resource-1" is no longer stored
