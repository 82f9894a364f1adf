from shared.runtime import database_dependency

CoordinationDb = database_dependency("coordination")
