@processes @slow
Feature: Under sustained contention and crashes, leases stay exclusive
  As the owner of a resource that many processes fight over,
  I want mutual exclusion and fencing to hold while holders crash at the worst
  moment and cleanup runs all the while,
  so that I can trust the lease under load, not only in tidy examples.

  . RULES:
  .   * Every acquisition, critical section and kill is written to a journal;
  .     a checker reads the history back.
  .   * No two holders are ever inside at once while both hold valid leases.
  .     (A holder descheduled past its expiry may still be inside when the
  .     next one enters: the checker counts that apart, and the counter's
  .     fencing rejects its write.)
  .   * Fencing tokens strictly increase with every acquisition.
  .   * The shared counter equals the number of completed critical sections.
  .   * Every holder killed inside is followed by a takeover.
  .   The run prints its figures on the console.

  Scenario: Sixteen processes, random kills inside the critical section and a cleanup loop
    Given instances A and B share a lock directory
    When 16 processes contend for "resource-1" for 10 s with a TTL of 500 ms, one in 20 of them killed inside its critical section, while another cleans up in a loop
    Then no two holders were ever inside at the same time while both held valid leases
    And the fencing tokens strictly increased
    And the counter equals the number of completed critical sections
    And every crash was recovered by a takeover
