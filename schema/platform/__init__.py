"""The GraphQL machinery: the view, context, guards, errors, ids, paging and the executor."""
