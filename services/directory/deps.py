from shared.runtime import database_dependency

DirectoryDb = database_dependency("directory")
