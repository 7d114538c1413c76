/// The formula language, taught: shown by `nst check --help` and usable by the quiz.
public enum FormulaLanguageHelp {
    public static let text = """
    THE FORMULA LANGUAGE
      Symbols (one layer l):  F  generated image's features, N×M
                              P  content image's features, N×M
                              G  = F·Fᵀ, N×N     A  style image's Gram matrix, N×N
                              N  filters   M  positions (H·W)   numbers: 2 0.5 1e-3
                              w (w_l)  alpha (α)  beta (β)  eta (η)
      Operators:  + -   * (matrix product; scales when a side is a scalar)
                  /  (by a scalar)   .* or ⊙ (elementwise)   ./ (elementwise)
                  ^  (power of scalars: N^2, N²)   X' X^T Xᵀ (transpose)
      Functions:  sum(X)  tr(X)  relu(X)  step(X) (1 where X > 0)  transpose(X)
      Write every product with *: 2*F, not 2F. Unicode − · × ⊙ ᵀ ² α β η work too.
      An answer may start with a minus: --answer -P+F, --answer "-(P - F)".

    TARGETS (--target)
      content-layer  ∂L_content^l/∂F   (½ Σ (F − P)², eq. 1)
      content-total  ∂L_content/∂F^l   (Σ over layers, eq. 2)
      style-layer    ∂E_l/∂F           (Σ (G − A)² / (4N²M²), eq. 4)
      style-total    ∂L_style/∂F^l     (Σ_l w_l E_l, eq. 5)
      total          ∂L_total/∂F^l     (α·L_content + β·L_style, eq. 7)
      update         F after one step F − η·∂L_total/∂F (eq. 8)

    EXAMPLES
      nst check --target content-layer --answer "F - P"
      nst check --target style-layer --answer "(G - A)*F/(N^2*M^2)"
      nst check --target update --json \\
          --answer "F - eta*(alpha*(F - P) + beta*w*(G - A)*F/(N^2*M^2))"
      nst check --loss "sum((F - P).*(F - P))/2" --wrt F --answer "F - P"

    DERIVATIONS (--derivation FILE, - for standard input)
      A chain LHS = e1 = e2 = …, checked row by row; the first wrong row is named.
      The quiz's LaTeX, pasted as is:
        $$\\begin{aligned} LHS &= e1 \\\\ &= e2 \\\\ … \\end{aligned}$$
      or a plain file, LHS = e1 on the first line and = e_k on each further line:
        dE_l/dF[i*,j*] = d/dF[i*,j*] (sum(i, j: (G[i,j] - A[i,j])^2) / (4*N^2*M^2))
        = ((G - A)*F)[i*,j*] / (N^2*M^2)
      nst check --derivation Examples/derivations/q6-total.tex
      Notation and what is compared: docs/derivations.md.

    The answer is compared with central differences of the engine's own loss on
    several seeded draws; exit status 0 correct, 1 incorrect, 2 invalid input,
    3 the check could not be set up (e.g. --bindings model with no model).
    """
}
