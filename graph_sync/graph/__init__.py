"""Microsoft Graph: credentials, the SDK client, one retry policy, $batch, and the SharePoint store."""
