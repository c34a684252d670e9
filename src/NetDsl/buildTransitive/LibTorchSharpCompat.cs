// Makes TorchSharp's native shim load on systems whose libstdc++ is older than the one it was
// linked against (Debian 12, Ubuntu 22.04: GCC 12's libstdc++, symbol versions up to GLIBCXX_3.4.30).
//
// libLibTorchSharp.so (TorchSharp 0.107) records a need for GLIBCXX_3.4.32 in its .gnu.version_r
// section, although the only symbol bound to that version is std::ios_base_library_init(), a marker
// GCC 13 emits for <iostream> and never calls through a relocation. The dynamic loader refuses the
// whole library when a non-weak version need is unmet; marking that one need VER_FLG_WEAK makes it
// load and behave normally.
//
// This file is compiled twice: by MSBuild's RoslynCodeTaskFactory (see NetDsl.targets, which runs
// the task on the copy of the shim in each build output, never on the NuGet cache), and by the
// tests, which define NETDSL_TESTS to leave the MSBuild task out.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace NetDsl.Build
{
    /// <summary>What <see cref="LibStdCxxCompat.Analyze"/> decided for one copy of the shim.</summary>
    public enum ShimVerdict
    {
        /// <summary>Every libstdc++ version the shim needs is present (or already weak): nothing to do.</summary>
        Loadable,

        /// <summary>Some needed versions are missing, but only marker symbols are bound to them: marking them weak is safe.</summary>
        Patchable,

        /// <summary>A missing version binds real symbols: the shim cannot load here and must not be patched.</summary>
        Unfixable,

        /// <summary>The shim or the system library is not a 64-bit little-endian ELF file, or no system libstdc++ was found.</summary>
        NotApplicable,
    }

    /// <summary>The analysis of one copy of libLibTorchSharp.so against the system's libstdc++.so.6.</summary>
    public sealed class ShimAnalysis
    {
        /// <summary>The decision.</summary>
        public ShimVerdict Verdict { get; set; }

        /// <summary>The libstdc++ versions (e.g. <c>GLIBCXX_3.4.32</c>) that the shim needs and the system lacks, not yet weak.</summary>
        public List<string> MissingVersions { get; } = new List<string>();

        /// <summary>The dynamic symbols bound to the missing versions (mangled names).</summary>
        public List<string> SymbolsOnMissingVersions { get; } = new List<string>();

        /// <summary>A one-line explanation suitable for a build message.</summary>
        public string Reason { get; set; } = "";
    }

    /// <summary>Reads and patches the ELF symbol-version tables that decide whether the shim loads.</summary>
    public static class LibStdCxxCompat
    {
        /// <summary>Symbols that may be left unresolved: markers that are never called through a relocation.</summary>
        public static readonly string[] MarkerSymbols = { "_ZSt21ios_base_library_initv" };

        /// <summary>The file name of libstdc++ as the shim records it in DT_NEEDED.</summary>
        public const string LibStdCxx = "libstdc++.so.6";

        const ushort VerFlgWeak = 0x2;
        const uint ShtDynsym = 11, ShtGnuVerdef = 0x6ffffffd, ShtGnuVerneed = 0x6ffffffe, ShtGnuVersym = 0x6fffffff;

        /// <summary>
        /// The libstdc++.so.6 the dynamic loader would pick on this machine: the directories of
        /// LD_LIBRARY_PATH first, then the usual multiarch and lib64 folders. Null when none exists.
        /// </summary>
        public static string? FindSystemLibStdCxx()
        {
            var dirs = new List<string>();
            var ld = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
            if (!string.IsNullOrEmpty(ld)) dirs.AddRange(ld!.Split(new[] { ':' }, StringSplitOptions.RemoveEmptyEntries));
            dirs.AddRange(new[]
            {
                "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
                "/lib64", "/usr/lib64", "/lib", "/usr/lib", "/usr/local/lib",
            });
            foreach (var d in dirs)
            {
                var p = Path.Combine(d, LibStdCxx);
                if (File.Exists(p)) return p;
            }
            return null;
        }

        /// <summary>Decides whether <paramref name="shim"/> (the bytes of libLibTorchSharp.so) loads against <paramref name="libStdCxx"/> (the bytes of the system's libstdc++.so.6).</summary>
        public static ShimAnalysis Analyze(byte[] shim, byte[] libStdCxx)
        {
            var result = new ShimAnalysis();
            var elf = Elf.TryRead(shim);
            var lib = Elf.TryRead(libStdCxx);
            if (elf == null || lib == null)
            {
                result.Verdict = ShimVerdict.NotApplicable;
                result.Reason = "not a 64-bit little-endian ELF file";
                return result;
            }

            var provided = new HashSet<string>(lib.VersionDefinitions(), StringComparer.Ordinal);
            var missingIndexes = new Dictionary<ushort, string>();
            foreach (var need in elf.VersionNeeds())
            {
                if (need.File != LibStdCxx || provided.Contains(need.Name) || (need.Flags & VerFlgWeak) != 0) continue;
                missingIndexes[need.Index] = need.Name;
                result.MissingVersions.Add(need.Name);
            }
            if (missingIndexes.Count == 0)
            {
                result.Verdict = ShimVerdict.Loadable;
                result.Reason = "the system libstdc++ provides every version the shim needs";
                return result;
            }

            result.SymbolsOnMissingVersions.AddRange(elf.SymbolsWithVersionIndex(missingIndexes.Keys));
            var real = result.SymbolsOnMissingVersions.Where(s => Array.IndexOf(MarkerSymbols, s) < 0).ToList();
            if (real.Count == 0)
            {
                result.Verdict = ShimVerdict.Patchable;
                result.Reason = "the system libstdc++ lacks " + string.Join(", ", result.MissingVersions)
                    + ", which binds only the marker symbol(s) " + string.Join(", ", result.SymbolsOnMissingVersions.DefaultIfEmpty("(none)"));
            }
            else
            {
                result.Verdict = ShimVerdict.Unfixable;
                result.Reason = "the system libstdc++ lacks " + string.Join(", ", result.MissingVersions)
                    + ", which the shim uses for " + string.Join(", ", real.Take(5)) + (real.Count > 5 ? ", ..." : "");
            }
            return result;
        }

        /// <summary>
        /// Returns a copy of <paramref name="shim"/> in which the version needs named in
        /// <paramref name="versions"/> (for libstdc++) carry VER_FLG_WEAK. Nothing else changes.
        /// </summary>
        /// <exception cref="InvalidDataException">The bytes are not a 64-bit little-endian ELF file.</exception>
        public static byte[] MarkWeak(byte[] shim, IEnumerable<string> versions)
        {
            var copy = (byte[])shim.Clone();
            var elf = Elf.TryRead(copy) ?? throw new InvalidDataException("not a 64-bit little-endian ELF file");
            var wanted = new HashSet<string>(versions, StringComparer.Ordinal);
            foreach (var need in elf.VersionNeeds())
            {
                if (need.File == LibStdCxx && wanted.Contains(need.Name))
                    Elf.WriteU16(copy, need.FlagsOffset, (ushort)(need.Flags | VerFlgWeak));
            }
            return copy;
        }

        /// <summary>One Vernaux entry: a version that a needed file must define.</summary>
        public sealed class VersionNeed
        {
            /// <summary>The needed file (e.g. libstdc++.so.6).</summary>
            public string File = "";
            /// <summary>The version name (e.g. GLIBCXX_3.4.32).</summary>
            public string Name = "";
            /// <summary>vna_flags (VER_FLG_WEAK = 2).</summary>
            public ushort Flags;
            /// <summary>vna_other: the index that .gnu.version uses for symbols bound to this version.</summary>
            public ushort Index;
            /// <summary>Byte offset of vna_flags in the file.</summary>
            public int FlagsOffset;
        }

        sealed class Elf
        {
            readonly byte[] b;
            readonly List<(uint Type, long Offset, long Size, uint Link, uint Info)> sections = new List<(uint, long, long, uint, uint)>();

            Elf(byte[] bytes) { b = bytes; }

            public static Elf? TryRead(byte[] bytes)
            {
                // ELF magic, ELFCLASS64, ELFDATA2LSB.
                if (bytes.Length < 64 || bytes[0] != 0x7f || bytes[1] != (byte)'E' || bytes[2] != (byte)'L' || bytes[3] != (byte)'F'
                    || bytes[4] != 2 || bytes[5] != 1) return null;
                var e = new Elf(bytes);
                long shoff = (long)e.U64(0x28);
                int shentsize = e.U16(0x3A), shnum = e.U16(0x3C);
                if (shoff <= 0 || shentsize < 64 || shoff + (long)shentsize * shnum > bytes.Length) return null;
                for (int i = 0; i < shnum; i++)
                {
                    long h = shoff + (long)i * shentsize;
                    e.sections.Add((e.U32(h + 4), (long)e.U64(h + 24), (long)e.U64(h + 32), e.U32(h + 40), e.U32(h + 44)));
                }
                return e;
            }

            public IEnumerable<string> VersionDefinitions()
            {
                foreach (var s in sections.Where(s => s.Type == ShtGnuVerdef))
                {
                    var strtab = sections[(int)s.Link];
                    long p = s.Offset;
                    for (uint i = 0; i < s.Info; i++)
                    {
                        uint aux = U32(p + 12), next = U32(p + 16);
                        yield return Str(strtab.Offset, U32(p + aux));
                        if (next == 0) break;
                        p += next;
                    }
                }
            }

            public IEnumerable<VersionNeed> VersionNeeds()
            {
                foreach (var s in sections.Where(s => s.Type == ShtGnuVerneed))
                {
                    var strtab = sections[(int)s.Link];
                    long p = s.Offset;
                    for (uint i = 0; i < s.Info; i++)
                    {
                        int cnt = U16(p + 2);
                        string file = Str(strtab.Offset, U32(p + 4));
                        long a = p + U32(p + 8);
                        for (int j = 0; j < cnt; j++)
                        {
                            yield return new VersionNeed
                            {
                                File = file, Flags = U16(a + 4), Index = U16(a + 6), Name = Str(strtab.Offset, U32(a + 8)), FlagsOffset = (int)(a + 4),
                            };
                            uint anext = U32(a + 12);
                            if (anext == 0) break;
                            a += anext;
                        }
                        uint next = U32(p + 12);
                        if (next == 0) break;
                        p += next;
                    }
                }
            }

            public IEnumerable<string> SymbolsWithVersionIndex(ICollection<ushort> indexes)
            {
                var dynsym = sections.FirstOrDefault(s => s.Type == ShtDynsym);
                var versym = sections.FirstOrDefault(s => s.Type == ShtGnuVersym);
                if (dynsym.Size == 0 || versym.Size == 0) yield break;
                var strtab = sections[(int)dynsym.Link];
                long count = dynsym.Size / 24;
                for (long i = 0; i < count; i++)
                {
                    ushort v = (ushort)(U16(versym.Offset + 2 * i) & 0x7fff);
                    if (indexes.Contains(v)) yield return Str(strtab.Offset, U32(dynsym.Offset + 24 * i));
                }
            }

            string Str(long tableOffset, uint index)
            {
                long start = tableOffset + index, end = start;
                while (end < b.Length && b[end] != 0) end++;
                return Encoding.ASCII.GetString(b, (int)start, (int)(end - start));
            }

            ushort U16(long o) => (ushort)(b[o] | b[o + 1] << 8);
            uint U32(long o) => (uint)(b[o] | b[o + 1] << 8 | b[o + 2] << 16 | b[o + 3] << 24);
            ulong U64(long o) => U32(o) | (ulong)U32(o + 4) << 32;
            public static void WriteU16(byte[] bytes, int o, ushort v) { bytes[o] = (byte)v; bytes[o + 1] = (byte)(v >> 8); }
        }
    }

#if !NETDSL_TESTS
    /// <summary>
    /// MSBuild task: for every given copy of libLibTorchSharp.so in a build output, marks the
    /// libstdc++ version needs that this machine lacks as weak, when that is safe. Replaces the file
    /// (write to a temporary file, then rename) so a hard link into the NuGet cache is never written
    /// through. Fails the build with an explanation when the shim cannot load here.
    /// </summary>
    public sealed class NetDslPatchLibTorchSharp : Microsoft.Build.Utilities.Task
    {
        /// <summary>Copies of libLibTorchSharp.so in build or publish outputs.</summary>
        [Microsoft.Build.Framework.Required]
        public Microsoft.Build.Framework.ITaskItem[] Files { get; set; } = Array.Empty<Microsoft.Build.Framework.ITaskItem>();

        /// <inheritdoc />
        public override bool Execute()
        {
            var system = LibStdCxxCompat.FindSystemLibStdCxx();
            if (system == null)
            {
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Normal, "NetDsl: no system libstdc++.so.6 found; TorchSharp's native shim left as is.");
                return true;
            }
            var lib = File.ReadAllBytes(system);
            foreach (var item in Files)
            {
                var path = item.ItemSpec;
                if (!File.Exists(path)) continue;
                var bytes = File.ReadAllBytes(path);
                var analysis = LibStdCxxCompat.Analyze(bytes, lib);
                switch (analysis.Verdict)
                {
                    case ShimVerdict.Patchable:
                        var patched = LibStdCxxCompat.MarkWeak(bytes, analysis.MissingVersions);
                        var stamp = File.GetLastWriteTimeUtc(path);
                        var tmp = path + ".netdsl-tmp";
                        File.WriteAllBytes(tmp, patched);
                        File.Delete(path); // unlinks: a hard link into the NuGet cache keeps the original
                        File.Move(tmp, path);
                        // Same size and time stamp as the source: the next incremental build skips the copy and keeps this file.
                        File.SetLastWriteTimeUtc(path, stamp);
                        Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High,
                            "NetDsl: patched " + path + " to load with " + system + " (" + analysis.Reason + "; version need marked weak).");
                        break;
                    case ShimVerdict.Unfixable:
                        Log.LogError(null, "NETDSL0001", null, path, 0, 0, 0, 0,
                            "TorchSharp's native shim cannot load on this machine: " + analysis.Reason
                            + ". Install a libstdc++ that provides these versions (GCC 13 or newer), or use a TorchSharp build linked against this system's libstdc++.");
                        break;
                    default:
                        Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, "NetDsl: " + path + ": " + analysis.Reason + ".");
                        break;
                }
            }
            return !Log.HasLoggedErrors;
        }
    }
#endif
}
