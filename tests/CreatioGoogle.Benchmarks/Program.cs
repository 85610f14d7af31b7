using CreatioGoogle.Benchmarks;

return args.FirstOrDefault() switch
{
    "contacts" => await ContactsBenchmark.RunAsync(args.Skip(1).ToArray()),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: CreatioGoogle.Benchmarks contacts [contacts=10000] [latencyMs=50]");
    return 2;
}
