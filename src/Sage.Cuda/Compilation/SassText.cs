using System.Text.RegularExpressions;

namespace Sage.Cuda;

/// <summary>
/// Reads the text of <c>cuobjdump -sass</c> and <c>cuobjdump -res-usage</c> into <see cref="SassFunctionSummary"/>s.
/// Pure text: no CUDA needed, so it is tested on any machine.
/// </summary>
public static partial class SassText
{
    // "        Function : solo_d128_f16x2"
    [GeneratedRegex(@"^\s*Function\s*:\s*(\S+)\s*$")]
    private static partial Regex FunctionHeader();

    // "        /*0d40*/              @!P0 BRA `(.L_x_3) ;" → opcode BRA (an optional guard predicate first).
    [GeneratedRegex(@"^\s*/\*[0-9a-fA-F]+\*/\s+(?:@!?U?P[T0-9]+\s+)?([A-Z][A-Z0-9_]*)(?:\.\S*)?")]
    private static partial Regex Instruction();

    // " Function solo_d128_f16x2:" then "  REG:168 STACK:0 SHARED:0 LOCAL:0 ..."
    [GeneratedRegex(@"^\s*Function\s+([^\s:]+):\s*$")]
    private static partial Regex UsageHeader();

    [GeneratedRegex(@"\bREG:(\d+)")]
    private static partial Regex UsageRegisters();

    [GeneratedRegex(@"\bSTACK:(\d+)")]
    private static partial Regex UsageStack();

    [GeneratedRegex(@"\bLOCAL:(\d+)")]
    private static partial Regex UsageLocal();

    /// <summary>
    /// The kernels of <paramref name="sass"/> in order of appearance, with registers, stack and local memory from
    /// <paramref name="resourceUsage"/> where given.
    /// </summary>
    public static IReadOnlyList<SassFunctionSummary> Summarise(string sass, string? resourceUsage = null)
    {
        ArgumentNullException.ThrowIfNull(sass);
        var usage = resourceUsage is null ? new Dictionary<string, (int?, int?, int?)>() : ResourceUsage(resourceUsage);
        var result = new List<SassFunctionSummary>();
        string? name = null;
        var opcodes = new Dictionary<string, int>(StringComparer.Ordinal);
        int instructions = 0;
        void Close()
        {
            if (name is null) return;
            var (registers, stack, local) = usage.TryGetValue(name, out var u) ? u : (null, null, null);
            result.Add(new SassFunctionSummary(name, instructions, new Dictionary<string, int>(opcodes), registers, stack, local));
        }
        foreach (string line in sass.Split('\n'))
        {
            var header = FunctionHeader().Match(line);
            if (header.Success)
            {
                Close();
                name = header.Groups[1].Value;
                opcodes.Clear();
                instructions = 0;
                continue;
            }
            if (name is null) continue;
            var instruction = Instruction().Match(line);
            if (!instruction.Success) continue;
            string opcode = instruction.Groups[1].Value;
            opcodes[opcode] = opcodes.GetValueOrDefault(opcode) + 1;
            instructions++;
        }
        Close();
        return result;
    }

    /// <summary>Registers, stack frame and local bytes per function from <c>cuobjdump -res-usage</c>.</summary>
    public static Dictionary<string, (int? Registers, int? StackBytes, int? LocalBytes)> ResourceUsage(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new Dictionary<string, (int?, int?, int?)>(StringComparer.Ordinal);
        string? name = null;
        foreach (string line in text.Split('\n'))
        {
            var header = UsageHeader().Match(line);
            if (header.Success)
            {
                name = header.Groups[1].Value;
                continue;
            }
            if (name is null) continue;
            var registers = UsageRegisters().Match(line);
            if (!registers.Success) continue;
            var stack = UsageStack().Match(line);
            var local = UsageLocal().Match(line);
            result[name] = (int.Parse(registers.Groups[1].Value), stack.Success ? int.Parse(stack.Groups[1].Value) : null,
                local.Success ? int.Parse(local.Groups[1].Value) : null);
            name = null;
        }
        return result;
    }
}
