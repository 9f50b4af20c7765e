/** Evaluations, starting with sycophancy: does the model keep a correct answer when the user pushes back? */
package dev.align.evals;
