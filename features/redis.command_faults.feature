@redis
Feature: On Redis, a fault at any command is a clear error or a safe retry, and loses nothing
  As a user whose Redis server may refuse a command or whose network may cut
  a connection at any moment,
  I want every command of every action to fail cleanly: reported with the
  server's reason, or made again where that is safe,
  so that a fault is never mistaken for contention and never costs a lease.

  . RULES:
  .   * Each action is one or a few commands: acquiring a free resource is
  .     one script; taking over is a look, then a claim; a renewal is a look,
  .     then a replacement; a release is one script; cleanup and status list
  .     the namespace, then read what they listed, then (cleanup) remove.
  .   * A command the server refuses is a storage error naming the server and
  .     its reason; the store holds exactly what it held before, and the same
  .     action succeeds once the fault is gone.
  .   * A command whose connection was cut before it reached the server is made
  .     once more on a new connection, so the action succeeds, with one
  .     exception: cleanup does not remove again, since its retry could not
  .     tell its own removal from another's. It reports a storage error, and
  .     the next cleanup finds what is left.
  .   * A blocking acquisition's claim is made again while its deadline has
  .     not passed.

  Background:
    Given instances A and B share a store
    And instance A reaches the server through a link that can lose replies

  Scenario Outline: A command the server refuses is a storage error that changes nothing: instance A <action>, refused at <which>, <situation>
    Given <situation>
    And the link of instance A answers <which> with "MISCONF Errors writing to the disk", keeping it from the server
    When instance A <action>
    Then instance A fails with a storage error naming "link.sock" and "MISCONF Errors writing to the disk"
    And the store holds exactly what it held before the fault
    And instance A succeeds when it tries again

    Examples:
      | situation                                             | which                          | action                            | command           |
      | "resource-1" is free                                  | the next command               | tries to acquire "resource-1"     | the claim         |
      | instance B held "resource-1" until 1 s ago            | the next command               | tries to acquire "resource-1"     | the first look    |
      | instance B held "resource-1" until 1 s ago            | the command after the next one | tries to acquire "resource-1"     | the takeover      |
      | the stored lease of "resource-1" reads 'INVALID{JSON' | the command after the next one | tries to acquire "resource-1"     | the set-aside     |
      | instance A holds "resource-1"                         | the next command               | renews its lock on "resource-1"   | the look          |
      | instance A holds "resource-1"                         | the command after the next one | renews its lock on "resource-1"   | the replacement   |
      | instance A holds "resource-1"                         | the next command               | releases its lock on "resource-1" | the release       |
      | instance B held "resource-1" until 1 s ago            | the next command               | cleans up expired locks           | the listing       |
      | instance B held "resource-1" until 1 s ago            | the command after the next one | cleans up expired locks           | the reading       |
      | instance B held "resource-1" until 1 s ago            | the third command              | cleans up expired locks           | the removal       |
      | the stored lease of "resource-1" reads 'INVALID{JSON' | the third command              | cleans up expired locks           | the set-aside     |

  Scenario Outline: A command whose connection was cut before it reached the server is made again: instance A <action>, cut at <which>, <situation>
    Given <situation>
    And the link of instance A cuts the connection just before <which> reaches the server
    When instance A <action>
    Then <outcome>
    And <afterwards>

    Examples:
      | situation                                  | which                          | action                                   | outcome                                                           | afterwards                                                          |
      | "resource-1" is free                       | the next command               | tries to acquire "resource-1"            | instance A gets the lock on "resource-1"                          | "resource-1" is still held by instance A with the lease it acquired |
      | "resource-1" is free                       | the next command               | waits up to 1 s to acquire "resource-1"  | instance A gets the lock on "resource-1"                          | "resource-1" is still held by instance A with the lease it acquired |
      | instance B held "resource-1" until 1 s ago | the command after the next one | tries to acquire "resource-1"            | instance A gets the lock on "resource-1"                          | "resource-1" is still held by instance A with the lease it acquired |
      | instance A holds "resource-1"              | the next command               | renews its lock on "resource-1" for 60 s | the renewal by instance A of its lease on "resource-1" is granted | "resource-1" is held by instance A                                  |
      | instance A holds "resource-1"              | the command after the next one | renews its lock on "resource-1" for 60 s | the renewal by instance A of its lease on "resource-1" is granted | "resource-1" is held by instance A                                  |
      | instance A holds "resource-1"              | the next command               | releases its lock on "resource-1"        | the release by instance A succeeds                                | "resource-1" is free                                                |
      | instance A holds "resource-1"              | the next command               | looks at the status of every lease       | instance A sees "resource-1" as held                              | "resource-1" is held by instance A                                  |
      | instance B held "resource-1" until 1 s ago | the next command               | cleans up expired locks                  | the cleanup reports "resource-1"                                  | "resource-1" is free                                                |
      | instance B held "resource-1" until 1 s ago | the command after the next one | cleans up expired locks                  | the cleanup reports "resource-1"                                  | "resource-1" is free                                                |
      | instance B held "resource-1" until 1 s ago | the third command              | cleans up expired locks                  | instance A fails with a storage error naming "link.sock" and "Connection closed" | the store holds exactly what it held before the fault |
