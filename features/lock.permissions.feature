@file
Feature: What lockspec creates in a lock directory is private unless shared with a group
  As an operator,
  I want lease files and the lock directory to have deliberate modes,
  so that no other user can read who holds what, or take or break a lease.

  . RULES:
  .   * By default, every folder lockspec creates (the lock directory when it
  .     is missing, its bookkeeping folders) has mode 0700, and every file it
  .     writes (lease files, guard files) mode 0600, whatever the umask.
  .   * For instances that run as different users of one group, a lock
  .     directory made for the group gets 2770 (the set-group-id bit keeps
  .     everything inside in the directory's group) and files 0660.
  .   * lockspec never changes the mode of a folder it did not create.

  Scenario Outline: By default, what lockspec creates is its owner's alone: <how>
    Given <how>
    And instance B holds "resource-1"
    And the stored lease of "resource-2" reads 'INVALID{JSON'
    When instance A cleans up expired locks
    Then the lock directory has mode 0700
    And every folder in it has mode 0700, and every file lockspec wrote mode 0600

    Examples:
      | how                                                       |
      | instances A and B share a store                           |
      | instances A and B are connected to "the scenario's store" |

  Scenario: A lock directory made for a group lets the group's members share it
    Given instances A and B share a lock directory made for their group
    And instance B holds "resource-1"
    And the stored lease of "resource-2" reads 'INVALID{JSON'
    When instance A cleans up expired locks
    Then the lock directory has mode 2770
    And every folder in it has mode 2770, and every file lockspec wrote mode 0660

  Scenario: A lock directory that already exists keeps its mode
    Given the lock directory already exists with mode 0755
    When instances A and B share a store
    Then the lock directory has mode 0755
