from shared.runtime import database_dependency

IntakeDb = database_dependency("intake")
