@real_clock
Feature: On the real clock, a wait lasts as long as it says
  As a user whose instances run on the system's clock,
  I want a backoff to sleep out each wait and a keep-alive to renew at its interval,
  so that a contender does not hammer the store and a holder renews neither too late nor all the time.

  . RULES:
  .   * A contender sleeps out each wait of its backoff schedule before it
  .     tries again: it gives up no sooner than the waits add up to, and a
  .     waiting one once its timeout has passed, however late its last wait ended.
  .   * A keep-alive renews every third of the TTL: in one second, a lease of
  .     600 ms is renewed about five times, keeping it held throughout.
  .   Every other scenario runs on a frozen clock, where waits take no time;
  .   these are the ones that let real time pass, with loose bounds only.

  Background:
    Given instances A and B share a store

  Scenario: A contender sleeps out its backoff before it gives up
    Given instance A holds "resource-1" with a TTL of 30 s
    And instance B backs off 100 ms each time
    When instance B tries to acquire "resource-1" with up to 3 retries
    Then instance B is refused
    And instance B tried for at least 300 ms

  Scenario: A contender waiting for a held resource gives up once its timeout has passed, not before
    Given instance A holds "resource-1" with a TTL of 30 s
    When instance B waits up to 300 ms to acquire "resource-1"
    Then instance B fails with a timeout naming "resource-1" and "A"
    And instance B tried for at least 300 ms

  @in_process
  Scenario: A keep-alive renews at its interval, no more often, and the lease stays held
    Given instance A holds "resource-1" with a TTL of 600 ms
    And instance A keeps its lease on "resource-1" alive
    And 1 s have passed
    Then instance A still holds its lease on "resource-1"
    And instance A's lease was renewed at least once and at most 6 times, keeping its fencing token
