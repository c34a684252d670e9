using NetDsl.Examples;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace NetDsl.Tests.Generated;

/// <summary>Generated forward passes release their intermediate tensors.</summary>
public class MemoryTests
{
    [Fact]
    public void Forward_outside_any_dispose_scope_leaves_only_its_result_alive()
    {
        // No scope of the caller's: only the generated forward's own scopes release the intermediates.
        var net = new ResNet20();
        using var x = randn(2, 1, 28, 28);
        using (var warmup = net.call(x)) { }
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 5; i++)
        {
            using var y = net.call(x);
            Assert.Equal(before + 1, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        }
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void Training_steps_on_a_generated_ResNet_leave_the_live_tensor_count_flat()
    {
        manual_seed(0);
        var net = new ResNet20();
        var optimizer = optim.SGD(net.parameters(), 0.01, momentum: 0.9);
        using var x = randn(8, 1, 28, 28);
        using var labels = randint(0, 10, new long[] { 8 });

        void Step()
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            nn.functional.cross_entropy(net.call(x), labels).backward();
            optimizer.step();
        }

        for (int i = 0; i < 3; i++) Step(); // gradients and momentum buffers come into being
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 20; i++) Step();
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
