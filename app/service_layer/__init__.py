"""The service layer: what each endpoint and command does, as plain functions over their collaborators."""
