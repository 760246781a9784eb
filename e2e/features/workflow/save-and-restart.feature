Feature: Pause/Edit/Unpause Workflow

  Save & Restart applies a new config.toml to a running trading stack: validate, pause every
  container, back up and write the file, unpause, send each service its reload signal and wait for
  the service's own log line as proof. Real Docker engine, real fixture containers that mount the
  config directory read-only, real files.

  Scenario: Safely apply new settings
    Given containers are running
    When I click "Save & Restart"
    Then PauseStack is called
    And config.toml is backed up and updated
    And UnpauseStack is called
    And services log "Config reloaded"

  Scenario: Settings that fail validation pause nothing
    Given containers are running
    And the new settings break the schema
    When I click "Save & Restart"
    Then the run ends "failed"
    And the report says "Nothing was paused or written"
    And PauseStack is not called
    And config.toml is unchanged

  Scenario: A write that fails resumes the stack and keeps the old config
    Given containers are running
    And the config directory becomes read-only once the stack is paused
    When I click "Save & Restart"
    Then PauseStack is called
    And UnpauseStack is called
    And the run ends "failed"
    And the report says "Could not write config.toml"
    And config.toml still holds the old settings
    And once the directory is writable again, the start-up clean-up leaves only a backup of the old settings
    And every container is running

  Scenario: A config directory that cannot be written pauses nothing
    Given containers are running
    And the config directory cannot be written
    When I click "Save & Restart"
    Then the run ends "failed"
    And the report says "Nothing was paused or written"
    And PauseStack is not called
    And config.toml is unchanged
    And every container is running

  Scenario: An unpause that fails raises a persistent alert naming the paused containers
    Given Stackdeck waits at most 3 seconds for each Docker call
    And containers are running
    And the Docker engine stops answering once config.toml is written
    When I click "Save & Restart"
    Then PauseStack is called
    And the run ends "unpause failed"
    And a persistent critical alert names every container left paused
    And the recovery prompt lists the same containers
    When the Docker engine answers again and I choose "Resume" in the recovery prompt
    Then every container is running
    And config.toml is backed up and updated

  Scenario: Missing reload evidence is reported as applied, reload not confirmed
    Given a service "risk-sentinel" whose containers never log "Config reloaded"
    And containers are running
    When I click "Save & Restart"
    Then PauseStack is called
    And config.toml is backed up and updated
    And UnpauseStack is called
    And the run ends "applied, reload not confirmed"
    And the report names "risk-sentinel" as the service without reload evidence

  Scenario: A file changed outside Stackdeck since it was loaded is not overwritten
    Given containers are running
    And someone edits config.toml in another editor
    When I click "Save & Restart"
    Then the run ends "failed"
    And the report says "changed on disk since it was loaded"
    And PauseStack is not called
    And config.toml keeps the other editor's change

  Scenario: A container removed while the stack is being paused rolls the run back
    Given containers are running
    And one container is removed as the pause begins
    When I click "Save & Restart"
    Then the run ends "failed"
    And the report names the removed container
    And UnpauseStack is called for the others
    And config.toml is unchanged

  Scenario: A second Save & Restart while one is running is refused
    Given containers are running
    When I click "Save & Restart" twice at once
    Then the second click is refused as busy
    And the run ends "applied"
    And only one run touched the stack
