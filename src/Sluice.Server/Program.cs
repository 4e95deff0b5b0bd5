using Sluice.Server.Hosting;

return await SluiceProgram.RunAsync(args);
