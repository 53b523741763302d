Feature: Only one instance holds a resource at a time
  As several instances of a service sharing a lock directory,
  we want at most one of us to hold a resource at any moment,
  so that work on it is never done twice or interleaved.

  . RULES:
  .   * Instances coordinate only through the lock directory they share.
  .   * While a lease is valid, every other instance is refused the resource.
  .   * A refusal changes nothing: the holder's lease stays exactly as it was.
  .   * Leases are not re-entrant: a holder asking again is refused too.

  Background:
    Given instances A and B share a store

  Scenario: A second instance is refused a resource held by the first (plan 2.1)
    Given instance A holds "resource-1" with a TTL of 30 s
    When instance B tries to acquire "resource-1"
    Then instance B is refused
    And "resource-1" is still held by instance A with the lease it acquired

  Scenario: Instances contend only for the same resource
    Given instance A holds "resource-1"
    When instance B tries to acquire "resource-2"
    Then instance B gets the lock on "resource-2"
    And "resource-1" is still held by instance A with the lease it acquired

  Scenario: A holder asking again for its own resource is refused
    Given instance A holds "resource-1"
    When instance A tries to acquire "resource-1"
    Then instance A is refused
    And "resource-1" is still held by instance A with the lease it acquired

  Scenario: Instances with separate lock directories cannot see each other's leases
    # The plan's 2.1 gave each instance a lock directory of its own: then no
    # collision can ever happen. This is why they must share one.
    Given instance A holds "resource-1"
    And instance C uses a store of its own
    When instance C tries to acquire "resource-1"
    Then instance C gets the lock on "resource-1"

  Scenario: Instances started without a name get distinct names of their own
    Given instance U is started without a name
    And instance V is started without a name
    And instance U holds "resource-1"
    When instance V tries to acquire "resource-1"
    Then instance V is refused
    And the holder of "resource-1" is named after this host and its process, with 8 random hex digits, and is not instance V
