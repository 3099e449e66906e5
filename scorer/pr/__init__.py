"""The pull-request flow: ``ci`` checks a pull request's entries, ``submit`` prepares one locally."""
