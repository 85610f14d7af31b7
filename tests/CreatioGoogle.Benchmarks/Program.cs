using CreatioGoogle.Benchmarks;

return args.FirstOrDefault() switch
{
    "renew" => await RenewBenchmark.RunAsync(args.Skip(1).ToArray()),
    "contacts" => await ContactsBenchmark.RunAsync(args.Skip(1).ToArray()),
    "calendar" => await CalendarBenchmark.RunAsync(args.Skip(1).ToArray()),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: CreatioGoogle.Benchmarks renew [--connections 10000] [--latency 50] [--concurrency 64] [--openid]");
    Console.Error.WriteLine("       CreatioGoogle.Benchmarks contacts [contacts=10000] [latencyMs=50]");
    Console.Error.WriteLine("       CreatioGoogle.Benchmarks calendar [events=10000] [latencyMs=50]");
    return 2;
}
