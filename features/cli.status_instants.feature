@frozen_clock
Feature: The status tells to the millisecond when a lease expires
  As an operator reading `lockspec status` at the moment a lease runs out,
  I want the table to say exactly what the instances would decide,
  so that a lease that reads "in 1 ms" is still held and one that reads "0 ms ago" is not.

  . RULES:
  .   * A lease expires at its expiry instant: until then the status reads
  .     "in" the time left, from that instant on the time "ago", as the
  .     instances judge it (held, then expired).

  # The command runs in the scenario's own process, so that it reads the
  # scenario's frozen clock: a command of its own would read the real one,
  # which no scenario can aim at a millisecond.

  Background:
    Given instance A uses a store

  Scenario Outline: A lease expires "in" a time until its very instant of expiry, then expired "ago": <moment>
    Given instance A holds "resource-1" with a TTL of 30 s
    And <elapsed> have passed
    When the operator runs "lockspec status --store $STORE" at that very instant
    Then the command succeeds
    And its output is a table with the rows:
      | RESOURCE   | STATE   | EXPIRES   |
      | resource-1 | <state> | <expires> |

    Examples:
      | moment                  | elapsed  | state   | expires  |
      | 1 ms before its expiry  | 29.999 s | held    | in 1 ms  |
      | at its expiry           | 30 s     | expired | 0 ms ago |
      | 1 ms after its expiry   | 30.001 s | expired | 1 ms ago |
