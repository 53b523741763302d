@processes @slow
Feature: Under sustained contention and crashes, leases stay exclusive
  As the owner of a resource that many processes fight over,
  I want mutual exclusion and fencing to hold while holders crash at the worst
  moment, cleanup runs all the while and lockspec's own bookkeeping is pulled
  from under it, so that I can trust the lease under load, not only in tidy examples.

  . RULES:
  .   * Every acquisition, critical section, kill and bookkeeping removal is
  .     written to a journal; a checker reads the history back, acquisition by
  .     acquisition (two acquisitions given one token are two, and are counted).
  .   * No two holders are ever inside at once while both hold valid leases.
  .     (A holder descheduled past its expiry may still be inside when the
  .     next one enters: the checker counts that apart, and the counter's
  .     fencing rejects its write.)
  .   * No two acquisitions get the same fencing token; tokens strictly
  .     increase, acquisition after acquisition.
  .   * The shared counter equals the number of completed critical sections.
  .   * Every holder killed inside is followed by a takeover, and nobody waits
  .     long: a dead holder's guard or lease never wedges the resource.
  .   The runs print their figures on the console.

  Background:
    Given instances A and B share a store

  Scenario: Sixteen processes, random kills inside the critical section and a cleanup loop
    When 16 processes contend for "resource-1" for 10 s with a TTL of 500 ms, while another cleans up in a loop and:
      | what happens                                   | how often |
      | a holder is killed inside its critical section | one in 20 |
    Then no two holders were ever inside at the same time while both held valid leases
    And no two acquisitions got the same fencing token, and tokens strictly increased
    And the counter equals the number of completed critical sections
    And every crash was recovered by a takeover
    And the resource was never left idle for 2 s or more

  @file
  Scenario: Sixteen processes while the bookkeeping folder is removed, and holders fork children and die inside their guards
    When 16 processes contend for "resource-1" for 8 s with a TTL of 500 ms, while another cleans up in a loop and:
      | what happens                                     | how often   |
      | a holder is killed inside its critical section   | one in 20   |
      | a holder forks a child that outlives it          | one in 10   |
      | a writer dies inside its guard, leaving a child  | one in 40   |
      | lockspec's bookkeeping folder is removed         | every 1 s   |
    Then no two holders were ever inside at the same time while both held valid leases
    And no two acquisitions got the same fencing token, and tokens strictly increased
    And the counter equals the number of completed critical sections
    And every crash was recovered by a takeover
    And the resource was never left idle for 2 s or more

  Scenario: The checker tells apart two acquisitions that were given the same token
    Given a torture journal in which two holders were given the same token and were inside at the same time
    When the torture history is checked
    Then the check counts 1 overlap and 1 duplicate token
