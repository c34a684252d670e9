using System.Reflection;
using Xunit;

// LibTorch's default random generator is process-wide: manual_seed(s) followed by randn or a module's construction
// gives the same numbers only when no other thread draws in between. xunit runs test classes in parallel by default,
// so a test that seeds twice and expects equal draws can see another class's draws in between (the runtime tests' probe
// test failed this way about once in twenty runs; measured: 3 of 2,000 reseeded draws differed while a second thread
// drew). Training here is seeded and compared run against run (same seed, same losses): every test class runs alone.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace NetDsl.Cli.Tests;

/// <summary>Keeps the cause of the flaky test fixed.</summary>
public class SequentialTests
{
    [Fact]
    public void Test_classes_never_run_in_parallel_because_the_torch_generator_is_process_wide()
    {
        var behavior = typeof(SequentialTests).Assembly.GetCustomAttribute<CollectionBehaviorAttribute>();
        Assert.True(behavior is { DisableTestParallelization: true }, "tests that reseed LibTorch's global generator race with each other in parallel");
    }
}
