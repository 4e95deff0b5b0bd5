using Sluice.Server.Cli;

return await SluiceCli.RunAsync(args);
