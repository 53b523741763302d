Feature: A contender retries with exponential backoff
  As an instance that finds its resource held,
  I want to try again a few times, waiting longer each time,
  so that short contention resolves itself without hammering the lock directory.

  . RULES:
  .   * Up to N retries means up to N + 1 attempts; the last refusal is final.
  .   * Between attempts the contender waits 10 ms, then 20, 40, ... ms
  .     (base 10 ms, factor 2), never more than the cap (1 s by default).
  .   * With jitter, each wait is shortened by a random fraction of at most
  .     the jitter, so that contenders that collided once do not collide again
  .     in lock-step; the same seed gives the same waits.
  .   * It retries whenever the resource is held, not only after a cleanup.
  .     Each refusal is logged at debug level: who holds it, for how long more.
  .   * A blocking acquisition makes its last attempt at its deadline, and no
  .     attempt lets the store keep it waiting past that deadline (a store may
  .     wait for its own bookkeeping, such as a busy server or another
  .     instance's change in progress).
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

  @frozen_clock
  Scenario: Unless told otherwise, an instance waiting for a held resource gives up after 5 s
    Given instance A holds "resource-1"
    When instance B waits to acquire "resource-1"
    Then instance B fails with a timeout naming "resource-1" and "A"
    And exactly 5 s passed on the clock while instance B tried

  @frozen_clock
  Scenario: Each refusal is logged, with the holder and how long its lease has left
    Given instance A holds "resource-1" with a TTL of 30 s
    And 5 s have passed
    When instance B tries to acquire "resource-1"
    Then a debug message about "B: 'resource-1' is held by 'A' (token <A's token>) for 25000 ms more" was logged

  Scenario Outline: The waits double until they reach the cap: <retries> retries, cap <cap>
    Given instance A holds "resource-1" with a TTL of 30 s
    And instance B backs off from 10 ms, doubling up to <cap>
    When instance B tries to acquire "resource-1" with up to <retries> retries
    Then instance B made <attempts> attempts
    And instance B waited <waits> between them

    Examples:
      | retries | cap   | attempts | waits                                                      |
      | 0       | 1 s   | 1        | no time                                                    |
      | 1       | 1 s   | 2        | 10 ms                                                      |
      | 5       | 50 ms | 6        | 10 ms, 20 ms, 40 ms, 50 ms and 50 ms                       |
      | 8       | 1 s   | 9        | 10 ms, 20 ms, 40 ms, 80 ms, 160 ms, 320 ms, 640 ms and 1 s |

  Scenario Outline: Jitter shortens each wait by at most its fraction, alike for the same seed: jitter <jitter>
    Given instance A holds "resource-1" with a TTL of 30 s
    And instance B backs off from 100 ms, doubling up to 1 s, shortening each wait by up to <jitter> of it at random, with the seed 7
    And instance C backs off as instance B does
    When instance B tries to acquire "resource-1" with up to 4 retries
    And instance C tries to acquire "resource-1" with up to 4 retries
    Then instance B's waits were each shortened, by at most <jitter> of it, from 100 ms, 200 ms, 400 ms and 800 ms
    And instance C waited exactly as long as instance B did

    Examples:
      | jitter |
      | 0.5    |
      | 1      |

  @frozen_clock
  Scenario: The default backoff doubles from 10 ms up to a cap of 1 s
    Given instance A holds "resource-1" with a TTL of 30 s
    When instance B tries to acquire "resource-1" with up to 9 retries
    Then instance B waited 10 ms, 20 ms, 40 ms, 80 ms, 160 ms, 320 ms, 640 ms, 1 s and 1 s between them

  @frozen_clock
  Scenario: A factor of 1 waits the same each time
    Given instance A holds "resource-1" with a TTL of 30 s
    And instance B backs off 25 ms each time
    When instance B tries to acquire "resource-1" with up to 3 retries
    Then instance B waited 25 ms, 25 ms and 25 ms between them

  @frozen_clock
  Scenario: Jittered waits spread over the whole range: over 200 waits, half the wait on average
    Given instance A holds "resource-1" with a TTL of 30 s
    And instance B backs off from 100 ms, doubling up to 100 ms, shortening each wait by up to 1 of it at random, with the seed 7
    When instance B tries to acquire "resource-1" with up to 200 retries
    Then instance B's waits averaged between 45 ms and 55 ms

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
  Scenario Outline: A blocking acquisition makes its last attempt at its deadline, then names the holder: within <timeout>
    Given instance A holds "resource-1" with a TTL of 30 s
    When instance B waits up to <timeout> to acquire "resource-1"
    Then instance B fails with a timeout naming "resource-1" and "A"
    And instance B waited <waits> between them
    And instance B's attempts let the store keep it waiting at most <store waits>
    And exactly <timeout> passed on the clock while instance B tried

    Examples:
      | timeout | waits                         | store waits                             | comment                             |
      | 100 ms  | 10 ms, 20 ms, 40 ms and 30 ms | 100 ms, 90 ms, 70 ms, 30 ms and 0 ms    | the last wait cut short             |
      | 31 ms   | 10 ms, 20 ms and 1 ms         | 31 ms, 21 ms, 1 ms and 0 ms             | even 1 ms before the deadline waits |

  @frozen_clock
  Scenario: A blocking acquisition whose last wait overran the deadline lets the store keep it waiting no more
    Given instance A holds "resource-1" with a TTL of 30 s
    And instance B's waits each last 5 ms longer than asked, as on a loaded machine
    When instance B waits up to 100 ms to acquire "resource-1"
    Then instance B fails with a timeout naming "resource-1" and "A"
    And instance B waited 10 ms, 20 ms, 40 ms and 15 ms between them
    And instance B's attempts let the store keep it waiting at most 100 ms, 85 ms, 60 ms, 15 ms and 0 ms
    And exactly 105 ms passed on the clock while instance B tried

  @frozen_clock
  Scenario: A blocking acquisition that takes over an expired lease lets the store keep it waiting no longer than the deadline
    Given instance A holds "resource-1" with a TTL of 25 ms
    When instance B waits up to 100 ms to acquire "resource-1"
    Then instance B gets the lock on "resource-1"
    And instance B waited 10 ms and 20 ms between them
    And instance B's takeover let the store keep it waiting at most 70 ms

  Scenario: A blocking acquisition holds the resource only inside its block
    When instance B works on "resource-1" under its lock, waiting up to 1 s to get it
    Then instance B held "resource-1" while it worked
    And "resource-1" is free
