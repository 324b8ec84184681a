"""Reading and checking params.yaml, and the plain settings objects the library takes."""
