Feature: A contender retries with exponential backoff
  As an instance that finds its resource held,
  I want to try again a few times, waiting longer each time,
  so that short contention resolves itself without hammering the lock directory.

  . RULES:
  .   * Up to N retries means up to N + 1 attempts; the last refusal is final.
  .   * Between attempts the contender waits 10 ms, then 20, 40, ... ms
  .     (base 10 ms, factor 2), never more than the cap (1 s by default).
  .   * It retries whenever the resource is held, not only after a cleanup.
  .   * Waiting goes through the instance's clock: nothing sleeps for real,
  .     so the waits below are measured exactly on the frozen clock.

  Background:
    Given instances A and B share a store

  @frozen_clock
  Scenario: A contender gives up after 3 retries, having waited 10, 20 and 40 ms (plan 2.4)
    Given instance A holds "resource-1" with a TTL of 30 s
    When instance B tries to acquire "resource-1" with up to 3 retries
    Then instance B is refused
    And instance B made 4 attempts
    And instance B waited 10 ms, 20 ms and 40 ms between them
    And exactly 70 ms passed on the clock while instance B tried

  Scenario Outline: The waits double until they reach the cap: <retries> retries, cap <cap>
    Given instance A holds "resource-1" with a TTL of 30 s
    And instance B backs off from 10 ms, doubling up to <cap>
    When instance B tries to acquire "resource-1" with up to <retries> retries
    Then instance B made <attempts> attempts
    And instance B waited <waits> between them

    Examples:
      | retries | cap    | attempts | waits                                   |
      | 0       | 1 s    | 1        | no time                                 |
      | 1       | 1 s    | 2        | 10 ms                                   |
      | 5       | 50 ms  | 6        | 10 ms, 20 ms, 40 ms, 50 ms and 50 ms    |
      | 8       | 1 s    | 9        | 10 ms, 20 ms, 40 ms, 80 ms, 160 ms, 320 ms, 640 ms and 1 s |

  @frozen_clock
  Scenario: A contender gets the lock once the holder releases during its backoff
    Given instance A holds "resource-1" with a TTL of 30 s
    And instance A will release "resource-1" 25 ms from now
    When instance B tries to acquire "resource-1" with up to 3 retries
    Then instance B gets the lock on "resource-1"
    And instance B made 3 attempts
    And instance B waited 10 ms and 20 ms between them

  @frozen_clock
  Scenario: A contender takes over a lease that expires during its backoff
    Given instance A holds "resource-1" with a TTL of 25 ms
    When instance B tries to acquire "resource-1" with up to 3 retries
    Then instance B gets the lock on "resource-1"
    And instance B made 3 attempts

  @frozen_clock
  Scenario: A blocking acquisition gives up at its deadline with a timeout error naming the holder
    Given instance A holds "resource-1" with a TTL of 30 s
    When instance B waits up to 100 ms to acquire "resource-1"
    Then instance B fails with a timeout naming "resource-1" and "A"
    And instance B waited 10 ms, 20 ms, 40 ms and 30 ms between them
    And exactly 100 ms passed on the clock while instance B tried

  Scenario: A blocking acquisition holds the resource only inside its block
    When instance B works on "resource-1" under its lock, waiting up to 1 s to get it
    Then instance B held "resource-1" while it worked
    And "resource-1" is free
