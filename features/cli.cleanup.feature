@processes
Feature: An operator cleans up and breaks leases from the command line
  As an operator,
  I want to remove stale leases and, when I must, a live one,
  and be told exactly what was removed and why.

  . RULES:
  .   * `lockspec cleanup` removes expired and unreadable leases, one line each
  .     saying why; --dry-run only says what it would remove.
  .   * `lockspec break RESOURCE --force` removes a lease whatever its state,
  .     after saying whose it was. Without --force it refuses (exit status 64).
  .   In the expected output, * stands for any text.

  Background:
    Given instances A and B share a store
    And instance A holds "resource-1" with a TTL of 30 s

  Scenario: Cleanup removes expired and unreadable leases and says why
    Given instance B held "resource-2" until 90 s ago
    And the stored lease of "resource-4" reads 'INVALID{JSON'
    When the operator runs "lockspec cleanup --store $STORE"
    Then the command succeeds
    And its output says:
      """
      removed resource-2: expired 1.5 min ago (held by 'B', token <B's token>)
      moved aside resource-4: unreadable: not JSON*
      """
    And the lease of "resource-2" is no longer stored
    And "resource-1" is still held by instance A with the lease it acquired

  Scenario: A dry run says what cleanup would remove, and removes nothing
    Given instance B held "resource-2" until 5 s ago
    When the operator runs "lockspec cleanup --dry-run --store $STORE"
    Then the command succeeds
    And its output says:
      """
      would remove resource-2: expired * ago (held by 'B', token <B's token>)
      """
    And the lease of "resource-2" is still stored

  Scenario: Cleanup with nothing stale says so
    When the operator runs "lockspec cleanup --store $STORE"
    Then the command succeeds
    And its output says:
      """
      nothing to clean up
      """

  Scenario: Breaking a lease without --force is refused
    When the operator runs "lockspec break resource-1 --store $STORE"
    Then the command exits with status 64
    And its error output is one line naming "--force"
    And "resource-1" is still held by instance A with the lease it acquired

  Scenario: Breaking a live lease with --force removes it after saying whose it was
    When the operator runs "lockspec break resource-1 --force --store $STORE"
    Then the command succeeds
    And its output says:
      """
      broke the lease on resource-1: held by 'A', token <A's token>; expires in *
      """
    And its error output logs "broke the lease on 'resource-1'"
    And "resource-1" is free

  Scenario: Breaking a resource nobody holds changes nothing
    When the operator runs "lockspec break resource-9 --force --store $STORE"
    Then the command succeeds
    And its output says:
      """
      no lease on resource-9: nothing to break
      """
