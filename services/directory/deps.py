from typing import Annotated

from fastapi import Depends

from shared.db import Database
from shared.runtime import database_dependency

get_directory_db = database_dependency("directory")
DirectoryDb = Annotated[Database, Depends(get_directory_db)]
