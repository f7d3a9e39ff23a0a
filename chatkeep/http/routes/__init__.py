"""The /v1 operations, one module per resource, beside the use-case package of the same
resource (usecase/workspace, chats, history, messages, files, sandbox). A handler is named
after its method and resource (`post_files`, `get_files`, `patch_chat`), with `show_` and
`remove_` for GET and DELETE of one resource, whose natural names the use cases they call
carry (`show_file` calls files.get.get_file, `remove_file` files.delete.delete_file)."""
