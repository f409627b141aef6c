using Strata.LoadBalancing.Proxy;

if (args is not ["--config", var configPath])
{
    Console.Error.WriteLine("usage: Strata.LoadBalancing.ProxyHost --config FILE");
    return 2;
}

return await ProxyProgram.RunAsync(configPath, CancellationToken.None);
