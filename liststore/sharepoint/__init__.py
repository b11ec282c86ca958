"""The SharePoint backend of the ListStore: lists over Microsoft Graph, with the Graph client it
needs (credentials, the SDK client, one retry policy, pacing, `$batch`)."""
