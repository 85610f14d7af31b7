global using Xunit;
[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("CreatioGoogle.Benchmarks")]
