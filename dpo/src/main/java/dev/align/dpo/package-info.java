/** Direct preference optimisation and its relatives (sigmoid, IPO, hinge, robust) ({@code align dpo}). */
package dev.align.dpo;
