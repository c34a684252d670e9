using System;
using System.Numerics;
using System.Threading.Tasks;
using NetDsl.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace NetDsl.Instrumentation;

/// <summary>
/// The probe's forward statistics of a CPU float32 tensor in one pass over its memory: sum, sum of squares, minimum and
/// maximum, optionally each unit's minimum and maximum over the batch (ReLU outputs) and two magnitude counts
/// (sigmoid/tanh inputs). LibTorch offers each of these as a separate reduction (three passes over the activation for
/// the plain statistics, each a native call with its own result tensor); a fused kernel is not reachable through
/// TorchSharp, so it is written here over the tensor's memory. Partial sums are kept in float32 over chunks of at most
/// <see cref="Chunk"/> values and added in float64 (the tests hold them within 1e-6 of float64 arithmetic).
/// </summary>
internal static unsafe class FusedStatistics
{
    /// <summary>Units per column block: the block's per-unit extremes (2 x 8 KiB) stay in the L1 cache.</summary>
    const int Block = 2048;

    /// <summary>Values summed in float32 (32 additions per vector lane) before the partial sum is added in float64.</summary>
    const int Chunk = 256;

    /// <summary>The results, in the order the probe's tensor path stacks them.</summary>
    /// <param name="Sum">Sum of the values.</param>
    /// <param name="SumOfSquares">Sum of the squared values.</param>
    /// <param name="Min">Smallest value.</param>
    /// <param name="Max">Largest value.</param>
    /// <param name="NeverActive">Per unit: share of units whose largest value over the batch is at most 0 (with units).</param>
    /// <param name="AlwaysActive">Per unit: share of units whose smallest value over the batch is above 0 (with units).</param>
    /// <param name="Below">Share of values with |x| &lt; the lower magnitude (with magnitudes).</param>
    /// <param name="Above">Share of values with |x| &gt; the upper magnitude (with magnitudes).</param>
    internal readonly record struct Result(double Sum, double SumOfSquares, double Min, double Max, double NeverActive, double AlwaysActive, double Below, double Above)
    {
        /// <summary>No value is NaN or infinite: min and max propagate NaN (IEEE 754-2019 minimum/maximum, as .NET's Vector and
        /// MathF implement them) and hold an infinity, so the extremes alone tell, whatever the sums did.</summary>
        public bool Finite => double.IsFinite(Min) && double.IsFinite(Max);
    }

    /// <summary>Whether <paramref name="t"/> can be read here: float32 and readable in place (<see cref="TensorMemory.Readable"/>:
    /// on the CPU, contiguous, not empty).</summary>
    public static bool Applies(Tensor t) => t.dtype == ScalarType.Float32 && TensorMemory.Readable(t);

    /// <summary>The statistics of <paramref name="t"/> (see <see cref="Applies"/>); with <paramref name="perUnit"/>, also the
    /// units' extremes over dimension 0 (<c>[N, ...]</c>: a unit is one position of the other dimensions).</summary>
    /// <param name="t">The tensor.</param>
    /// <param name="perUnit">Also each unit's extremes over dimension 0.</param>
    /// <param name="lowMagnitude">Count values with |x| below this (NaN: no counts).</param>
    /// <param name="highMagnitude">Count values with |x| above this.</param>
    /// <param name="centered">Sum deviations from a value of the tensor (for a variance, see below); off for a norm, where the
    /// shift would cancel against the sum of squares instead.</param>
    public static Result Compute(Tensor t, bool perUnit, float lowMagnitude = float.NaN, float highMagnitude = float.NaN, bool centered = true)
    {
        var data = (float*)TensorMemory.Data(t);
        long n = t.numel();
        int rows = perUnit ? (int)t.shape[0] : 1;
        int units = (int)(n / rows);
        bool magnitudes = !float.IsNaN(lowMagnitude);
        // As many threads as LibTorch's own reductions would use (torch.get_num_threads), each over a disjoint range of
        // units (a column block of the [rows, units] matrix) of at least 32 Ki values.
        int step = Vector<float>.Count;
        int parts = (int)Math.Clamp(Math.Min(n / 32768, units / step), 1, Math.Max(1, get_num_threads()));
        var partial = new Part[parts];
        int Bound(int i) => i == parts ? units : (int)((long)units * i / parts / step * step);
        if (parts == 1) partial[0] = Run(data, rows, units, 0, units, perUnit, magnitudes, lowMagnitude, highMagnitude, centered);
        else Parallel.For(0, parts, i => partial[i] = Run(data, rows, units, Bound(i), Bound(i + 1), perUnit, magnitudes, lowMagnitude, highMagnitude, centered));
        var r = partial[0];
        for (int i = 1; i < parts; i++) r = r.Merge(partial[i]);
        return new Result(r.Sum, r.Squares, r.Min, r.Max, perUnit ? r.Never / (double)units : 0, perUnit ? r.Always / (double)units : 0,
            magnitudes ? r.Below / (double)n : 0, magnitudes ? r.Above / (double)n : 0);
    }

    /// <summary>The sum of the squared values of <paramref name="t"/> (see <see cref="Applies"/>): its squared L2 norm; NaN or
    /// infinite when a value is.</summary>
    public static double SumOfSquares(Tensor t) => Compute(t, perUnit: false, centered: false).SumOfSquares;

    /// <summary>A copy of the values of <paramref name="t"/> (see <see cref="Applies"/>) in managed memory.</summary>
    public static float[] Copy(Tensor t)
    {
        var copy = GC.AllocateUninitializedArray<float>((int)t.numel());
        new ReadOnlySpan<float>((float*)TensorMemory.Data(t), copy.Length).CopyTo(copy);
        return copy;
    }

    /// <summary>sum((t - before)^2) in float64: the squared L2 norm of an update, <paramref name="before"/> from <see cref="Copy"/>.</summary>
    /// <exception cref="ArgumentException">The sizes differ.</exception>
    public static double SquaredDistance(Tensor t, float[] before)
    {
        if (t.numel() != before.Length) throw new ArgumentException($"{t.numel()} values now, {before.Length} before", nameof(before));
        var now = new ReadOnlySpan<float>((float*)TensorMemory.Data(t), before.Length);
        int step = Vector<float>.Count;
        double total = 0;
        for (int start = 0; start < now.Length; start += Chunk)
        {
            int end = Math.Min(now.Length, start + Chunk), i = start;
            var q = Vector<float>.Zero;
            for (; i + step <= end; i += step)
            {
                var d = new Vector<float>(now.Slice(i, step)) - new Vector<float>(before.AsSpan(i, step));
                q += d * d;
            }
            double block = Vector.Sum(q);
            for (; i < end; i++) block += ((double)now[i] - before[i]) * ((double)now[i] - before[i]);
            total += block;
        }
        return total;
    }

    static double SquaresInDouble(float* row, int start, int end, float shift)
    {
        double q = 0;
        for (int i = start; i < end; i++) q += ((double)row[i] - shift) * ((double)row[i] - shift);
        return q;
    }

    struct Part
    {
        public double Sum, Squares;
        public float Min, Max;
        public long Never, Always, Below, Above;

        public readonly Part Merge(Part o) => new()
        {
            Sum = Sum + o.Sum, Squares = Squares + o.Squares, Min = MathF.Min(Min, o.Min), Max = MathF.Max(Max, o.Max),
            Never = Never + o.Never, Always = Always + o.Always, Below = Below + o.Below, Above = Above + o.Above,
        };
    }

    /// <summary>Columns [<paramref name="from"/>, <paramref name="to"/>) of the <c>[rows, units]</c> matrix at <paramref name="data"/>.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    static Part Run(float* data, int rows, int units, int from, int to, bool perUnit, bool magnitudes, float low, float high, bool centered)
    {
        var part = new Part { Min = float.PositiveInfinity, Max = float.NegativeInfinity };
        int width = to - from;
        if (width <= 0) return part;
        float[]? lo = perUnit ? new float[width] : null, hi = perUnit ? new float[width] : null;
        if (perUnit) { Array.Fill(lo!, float.PositiveInfinity); Array.Fill(hi!, float.NegativeInfinity); }
        int step = Vector<float>.Count;
        var vMin = new Vector<float>(float.PositiveInfinity);
        var vMax = new Vector<float>(float.NegativeInfinity);
        var vLow = new Vector<float>(low);
        var vHigh = new Vector<float>(high);
        long below = 0, above = 0;
        // Sums of (x - shift) instead of x: the variance the probe forms from them, sum((x - mean)^2), is then not the small
        // difference of two large float32 sums when the mean is far from 0 compared with the spread.
        float shift = centered && float.IsFinite(data[from]) ? data[from] : 0f;
        var vShift = new Vector<float>(shift);
        double shiftedSum = 0, shiftedSquares = 0;
        fixed (float* lp = lo, hp = hi)
        {
            // Column blocks outermost: a block's per-unit extremes stay in the L1 cache while every row passes over them.
            for (int start = 0; start < width; start += Block)
            {
                int end = Math.Min(width, start + Block);
                for (int r = 0; r < rows; r++)
                {
                    float* row = data + (long)r * units + from;
                    for (int chunk = start; chunk < end; chunk += Chunk)
                    {
                        int stop = Math.Min(end, chunk + Chunk), i = chunk;
                        // Two independent sets of accumulators: each add waits for the one before it in its own set only.
                        Vector<float> s0 = default, s1 = default, q0 = default, q1 = default;
                        Vector<int> b0 = default, a0 = default;
                        for (; i + 2 * step <= stop; i += 2 * step)
                        {
                            var v0 = *(Vector<float>*)(row + i);
                            var v1 = *(Vector<float>*)(row + i + step);
                            var c0 = v0 - vShift;
                            var c1 = v1 - vShift;
                            s0 += c0;
                            s1 += c1;
                            q0 = Vector.FusedMultiplyAdd(c0, c0, q0);
                            q1 = Vector.FusedMultiplyAdd(c1, c1, q1);
                            vMin = Vector.Min(vMin, Vector.Min(v0, v1));
                            vMax = Vector.Max(vMax, Vector.Max(v0, v1));
                            if (perUnit)
                            {
                                *(Vector<float>*)(lp + i) = Vector.Min(*(Vector<float>*)(lp + i), v0);
                                *(Vector<float>*)(hp + i) = Vector.Max(*(Vector<float>*)(hp + i), v0);
                                *(Vector<float>*)(lp + i + step) = Vector.Min(*(Vector<float>*)(lp + i + step), v1);
                                *(Vector<float>*)(hp + i + step) = Vector.Max(*(Vector<float>*)(hp + i + step), v1);
                            }
                            if (magnitudes)
                            {
                                var m0 = Vector.Abs(v0);
                                var m1 = Vector.Abs(v1);
                                b0 += Vector.LessThan(m0, vLow) + Vector.LessThan(m1, vLow);      // true lanes are -1
                                a0 += Vector.GreaterThan(m0, vHigh) + Vector.GreaterThan(m1, vHigh);
                            }
                        }
                        for (; i + step <= stop; i += step)
                        {
                            var v = *(Vector<float>*)(row + i);
                            var c = v - vShift;
                            s0 += c;
                            q0 = Vector.FusedMultiplyAdd(c, c, q0);
                            vMin = Vector.Min(vMin, v);
                            vMax = Vector.Max(vMax, v);
                            if (perUnit)
                            {
                                *(Vector<float>*)(lp + i) = Vector.Min(*(Vector<float>*)(lp + i), v);
                                *(Vector<float>*)(hp + i) = Vector.Max(*(Vector<float>*)(hp + i), v);
                            }
                            if (magnitudes)
                            {
                                var m = Vector.Abs(v);
                                b0 += Vector.LessThan(m, vLow);
                                a0 += Vector.GreaterThan(m, vHigh);
                            }
                        }
                        float ss = Vector.Sum(s0 + s1), qq = Vector.Sum(q0 + q1);
                        below -= Vector.Sum(b0);
                        above -= Vector.Sum(a0);
                        for (; i < stop; i++)
                        {
                            float v = row[i], c = v - shift;
                            ss += c;
                            qq += c * c;
                            part.Min = MathF.Min(part.Min, v);
                            part.Max = MathF.Max(part.Max, v);
                            if (perUnit) { lp[i] = MathF.Min(lp[i], v); hp[i] = MathF.Max(hp[i], v); }
                            if (magnitudes) { float a = MathF.Abs(v); if (a < low) below++; if (a > high) above++; }
                        }
                        shiftedSum += ss;
                        // Squares of finite values beyond 1.8e19 overflow float32: that chunk again in float64.
                        shiftedSquares += float.IsFinite(qq) || !float.IsFinite(ss) ? qq : SquaresInDouble(row, chunk, stop, shift);
                    }
                }
            }
        }
        for (int k = 0; k < step; k++) { part.Min = MathF.Min(part.Min, vMin[k]); part.Max = MathF.Max(part.Max, vMax[k]); }
        double count = (double)rows * width;
        part.Sum = shiftedSum + count * shift;
        part.Squares = shiftedSquares + 2.0 * shift * shiftedSum + count * (double)shift * shift;
        if (perUnit)
            for (int k = 0; k < width; k++)
            {
                if (hi![k] <= 0) part.Never++;
                if (lo![k] > 0) part.Always++;
            }
        (part.Below, part.Above) = (below, above);
        return part;
    }
}
