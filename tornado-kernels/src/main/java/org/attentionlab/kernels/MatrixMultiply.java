package org.attentionlab.kernels;

import static org.attentionlab.kernels.Float16Lanes.broadcast;
import static org.attentionlab.kernels.Float16Lanes.load;
import static org.attentionlab.kernels.Float16Lanes.multiplyAdd;
import static org.attentionlab.kernels.Float16Lanes.store;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.WorkerGrid2D;
import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.TornadoDeviceType;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.vectors.Float16;

/**
 * Dense matrix products for projections and their gradients, row-major fp32 (see tornado-kernels/README.md,
 * "Matrix products"):
 * <ul>
 * <li>{@link #linear}: {@code Y = act(X W^T + b) (+ Y)}, {@code torch.nn.Linear}'s forward ({@code W [cols, inner]});
 * <li>{@link #gatedLinear}: {@code H = act(X G^T + bg) * (X U^T + bu)}, the SwiGLU/GeGLU feed-forward gate;
 * <li>{@link #linearTiled}, {@link #gatedLinearTiled}: the same two with register tiles, for OpenCL CPU compilers;
 * <li>{@link #product}: {@code Y = A B (+ Y)} or {@code Y = A^T B (+ Y)}, e.g. {@code dX = dY W},
 * {@code dW (+)= dY^T X}; {@link #productTiled} the same with {@link #linearTiled}'s register tiles;
 * <li>{@link #columnSums}: {@code s (+)= sum over rows of A}, e.g. {@code db}.
 * </ul>
 *
 * <p>Schedule: one work-item computes {@value #ITEM_ROWS} output rows by {@value #BLOCK_COLUMNS} output columns (x:
 * column block, y: row block of {@link #grid}) as two blocks of {@value #BLOCK_ROWS} rows in private accumulators,
 * walking the inner dimension {@value #DEPTH_STEP} values at a time: it stages those rows of B (transposed from W for
 * {@link #linear}) in a private array, then adds {@code a_i0 B_0 + a_i1 B_1 + a_i2 B_2 + a_i3 B_3} to each
 * accumulator row in one contiguous loop over the columns. Each staged value is reused by {@value #ITEM_ROWS} rows
 * (at 16, staging W cost about as much as the multiply-adds) and each accumulator is loaded and stored once per
 * {@value #DEPTH_STEP} multiply-adds. No barrier and no local memory, so any local
 * size is correct, the JVM implementation runs the work-groups on all cores, and an OpenCL CPU compiler (PoCL)
 * vectorizes the column loops. Why the row loop is written out: see {@link #updateFirstRows}.
 *
 * <p>The activation is an {@code int} ({@link #NONE}, {@link #RELU}, {@link #GELU_ERF}, {@link #GELU_TANH},
 * {@link #SILU}) with {@link Activations}' definitions; flags ({@code hasBias}, {@code accumulate}) are 0 or 1.
 * Arrays not read (a bias with {@code hasBias == 0}) may be any array, e.g. of size 1.
 */
public final class MatrixMultiply {

    /** Rows of one accumulator block (also flash attention's query block). */
    public static final int BLOCK_ROWS = 16;
    /**
     * Output rows per work-item of the matrix products: an upper and a lower accumulator block of {@value #BLOCK_ROWS}
     * rows that share each staged tile of B, so that staging (a transposing gather for {@link #linear}) is paid once
     * per 32 rows.
     */
    public static final int ITEM_ROWS = 2 * BLOCK_ROWS;
    /** Output columns per work-item: the length of the contiguous inner loop (long, so C2 picks 512-bit vectors). */
    public static final int BLOCK_COLUMNS = 256;
    /** Inner-dimension values per step: the staged rows of B and the products per accumulator update. */
    public static final int DEPTH_STEP = 4;
    /** Columns per work-item of {@link #columnSums}: one row's run of them is contiguous. */
    public static final int COLUMN_SUM_BLOCK = 16;

    /** Rows of one register tile of {@link #linearTiled}. */
    public static final int TILE_ROWS = 8;
    /**
     * Columns of one register tile of {@link #linearTiled}: one 512-bit vector of floats, a {@code Float16} (the tiles'
     * code is written for 16 lanes).
     */
    public static final int TILE_COLUMNS = 16;
    /** Rows of one register tile of {@link #accumulateNarrowTiles}, the tiles for 8-lane devices: 4 {@code Float16} sums. */
    public static final int NARROW_TILE_ROWS = 4;
    /** Inner-dimension values per staged panel of {@link #productTiled}. */
    public static final int PANEL_DEPTH = 64;
    /**
     * Inner-dimension values per staged panel of the projections' register tiles ({@link #linearTiled},
     * {@link #gatedLinearTiled}, {@code LinearKernels.qkvProjectionTiled}): a 16 KB panel, each of its 16 W rows read
     * as one run of 1 KB. At {@value #PANEL_DEPTH} (runs of 256 bytes, the 16 rows interleaved) rnope-swa's
     * projections at 128 rows took 6-20 % longer on PoCL with the forward pass's 18 MB of weights coming from L3
     * (device time per product: qkv 341 -> 280 us, up 458 -> 378, o 129 -> 103, down 422 -> 395).
     */
    public static final int PROJECTION_PANEL_DEPTH = 256;
    /**
     * Output rows per work-item of the projections' register tiles ({@link #linearTiled}, {@link #gatedLinearTiled},
     * {@code LinearKernels.qkvProjectionTiled}): the rows that share each staged panel, so gathering W's panel
     * (transposing it: scalar loads and stores, 10-30 % of a projection's time at 128 rows) is paid once per
     * {@value} rows. At 128 (PoCL, JMH, rnope-swa's shapes) projections of 1024 and 4096 rows took 0-9 % longer;
     * 128-row inputs are one item either way.
     */
    public static final int TILED_ITEM_ROWS = 256;
    /**
     * Output rows per work-item of {@link #productTiled} (training's products). At {@value #TILED_ITEM_ROWS} dW got
     * 8-20 % faster but dX with 1024 output columns 5-20 % slower (JMH on PoCL), so the products keep {@value}.
     */
    public static final int PRODUCT_ITEM_ROWS = 128;
    /** Rows of one register tile of {@link #productTiled} for {@code a^T b} (the weight gradients): 16 {@code Float16} sums. */
    public static final int WIDE_TILE_ROWS = 16;
    /** The fewest rows per work-group of {@link #normLinearTiled} and its siblings ({@link #normGroupRows}). */
    public static final int MIN_NORM_GROUP_ROWS = 32;
    /**
     * Rows of one row tile of the norm-fused projections ({@link #accumulateRowTile}): the 16 lanes of each
     * {@code Float16} sum run down the rows, so that the tile's vector operand is a staged panel of the input, transposed,
     * and W is read in place, one broadcast value per column.
     */
    public static final int ROW_TILE_ROWS = 16;
    /** Columns of one row tile ({@link #accumulateRowTile}): one {@code Float16} sum each. */
    public static final int ROW_TILE_COLUMNS = 8;
    /** {@link #residualNormTiled}'s flag for the 8-lane row tiles ({@link #accumulateRowTilePair}). */
    public static final int RESIDUAL_NORM_EIGHT_LANES = 16;
    /**
     * Inner values of the input panel a norm-fused projection stages per row tile ({@link #stageInputPanel}): 64 KB, the
     * whole input row of every projection up to this width, staged once per {@value #ROW_TILE_ROWS} rows and read by
     * every column tile. Wider inputs restage it per column tile (correct, slower). A multiple of
     * {@value #PROJECTION_PANEL_DEPTH}, so that the sums are added panel by panel as {@link #linearTiled} adds them.
     */
    public static final int INPUT_PANEL_DEPTH = 1024;
    /**
     * Output columns per sweep of the down projections inside the norm-fused kernels ({@link #residualNormLinearTiled}'s
     * down phase, {@link #residualNormTiled}): a row tile's sums for that many columns are kept together
     * ({@code ROW_TILE_ROWS x ROW_SWEEP_COLUMNS}, 16 KB) while the input is staged {@value #PROJECTION_PANEL_DEPTH} values
     * deep at a time (16 KB) and every column tile of the sweep adds that panel's products: both stay in a core's L1
     * cache (48 KB on Zen 5), where the {@value #INPUT_PANEL_DEPTH}-deep panel of a 1024-wide hidden row tile (64 KB)
     * came from L2 for every column tile. With that panel, the down phase made rnope-swa at L = 128 on PoCL 11.5 ms a
     * forward instead of 8.5; with the sweeps, 7.3-7.6.
     */
    public static final int ROW_SWEEP_COLUMNS = 256;
    /**
     * Work-items per work-group of {@link #normLinearTiled} and its siblings ({@link #normTiledGrid}), each walking the
     * group's column tiles at a stride of this many tiles. One: PoCL runs a work-group on one core either way, and a
     * lone item stages its row tile's input once for all the columns ({@link #accumulateRowTile}), where an item per
     * column tile would stage it per item.
     */
    public static final int NORM_GROUP_ITEMS = 1;

    public static final int NONE = 0;
    /** {@code max(x, 0)}. */
    public static final int RELU = 1;
    /** {@code 0.5 x (1 + erf(x / sqrt 2))}, PyTorch's default {@code gelu} ({@link Activations#geluErf}). */
    public static final int GELU_ERF = 2;
    /** {@code gelu(approximate='tanh')} ({@link Activations#geluTanh}). */
    public static final int GELU_TANH = 3;
    /** {@code x / (1 + exp(-x))} ({@link Activations#silu}). */
    public static final int SILU = 4;

    /** Items per work-group along the row blocks on devices that are not GPUs (one item: no reason to group). */
    public static final int CPU_GROUP_ITEMS = 1;
    /** Items per work-group on GPUs: a warp of row blocks (not measured here: no GPU was available). */
    public static final int GPU_GROUP_ITEMS = 32;

    private static final int ACCUMULATORS = BLOCK_ROWS * BLOCK_COLUMNS;
    private static final int STAGED = DEPTH_STEP * BLOCK_COLUMNS;
    private static final int ROW_VALUES = BLOCK_ROWS * DEPTH_STEP;
    private static final float SQRT_HALF = 0.70710678118654752f;
    private static final float SQRT_TWO_OVER_PI = 0.7978845608028654f;
    private static final float GELU_TANH_CUBIC = 0.044715f;

    private MatrixMultiply() {
    }

    // ---------------------------------------------------------------------------------------------------------
    // Kernels.
    // ---------------------------------------------------------------------------------------------------------

    /**
     * {@code y = act(x W^T + b) (+ y)} over {@link #grid}{@code (rows, cols)}: {@code torch.nn.Linear} with the
     * activation and a residual add fused into the store. With {@code accumulate != 0} the result is added to
     * what {@code y} holds (after the activation).
     *
     * @param x      {@code [rows, inner]}
     * @param weight {@code [cols, inner]}
     * @param bias   {@code [cols]}, read when {@code hasBias != 0}
     * @param y      {@code [rows, cols]}
     */
    public static void linear(KernelContext context, FloatArray x, FloatArray weight, FloatArray bias, FloatArray y, int rows, int inner, int cols, int hasBias,
            int activation, int accumulate) {
        int col0 = context.globalIdx * BLOCK_COLUMNS;
        int row0 = context.globalIdy * ITEM_ROWS;
        float[] acc = new float[ACCUMULATORS];
        float[] lowerAcc = new float[ACCUMULATORS];
        float[] staged = new float[STAGED];
        float[] rowValues = new float[ROW_VALUES];
        float[] lowerRowValues = new float[ROW_VALUES];
        if (col0 < cols && row0 < rows) {
            int blockRows = TornadoMath.min(BLOCK_ROWS, rows - row0);
            int lowerRow0 = lowerBlockStart(rows, row0);
            int lowerRows = lowerBlockRows(rows, row0);
            int blockCols = TornadoMath.min(BLOCK_COLUMNS, cols - col0);
            clear(acc);
            clear(lowerAcc);
            for (int k = 0; k < inner; k += DEPTH_STEP) {
                int last = TornadoMath.min(DEPTH_STEP, inner - k) - 1;
                stage(staged, weight, col0 * inner + k, inner, 1, last, blockCols);
                gatherRowValues(rowValues, x, row0 * inner + k, inner, 1, last, blockRows - 1);
                updateFirstRows(acc, staged, rowValues, blockCols);
                updateLastRows(acc, staged, rowValues, blockCols);
                if (lowerRows > 0) {
                    gatherRowValues(lowerRowValues, x, lowerRow0 * inner + k, inner, 1, last, lowerRows - 1);
                    updateFirstRows(lowerAcc, staged, lowerRowValues, blockCols);
                    updateLastRows(lowerAcc, staged, lowerRowValues, blockCols);
                }
            }
            storeBlock(acc, BLOCK_COLUMNS, bias, y, cols, row0, blockRows, col0, blockCols, hasBias, activation, accumulate);
            storeBlock(lowerAcc, BLOCK_COLUMNS, bias, y, cols, lowerRow0, lowerRows, col0, blockCols, hasBias, activation, accumulate);
        }
    }

    /**
     * {@link #linear} with register tiles, for OpenCL CPU compilers (PoCL): the same result within float rounding
     * (each output is the same serial sum over the inner dimension), over {@link #tiledGrid}{@code (rows, cols)}.
     * A work-item owns {@value #TILED_ITEM_ROWS} rows by {@value #TILE_COLUMNS} columns of y. For each
     * {@value #PROJECTION_PANEL_DEPTH}-deep slice of the inner dimension it gathers the slice of its W rows transposed into a
     * private panel (contiguous along the columns), then, per tile of {@value #TILE_ROWS} rows, holds the
     * {@value #TILE_ROWS} x {@value #TILE_COLUMNS} sums in {@value #TILE_ROWS} {@code Float16} registers across the
     * whole slice, each step a vector multiply of a broadcast x value with the panel row and a vector add per row
     * ({@link #accumulateTiles}). The sums leave the registers once per slice ({@code sums}). Rows and columns past the
     * edge read the last row / column (never stored).
     *
     * @param lanes the device's vector width in floats ({@code LaunchGeometry.vectorLanes()}): 8 holds tiles of
     *              {@value #NARROW_TILE_ROWS} rows ({@link #accumulateNarrowTiles}, for AVX2), any other value tiles of
     *              {@value #TILE_ROWS} (16 lanes, AVX-512); the same bits either way. The same argument in
     *              {@link #gatedLinearTiled}, {@link #productTiled} and {@code LinearKernels.qkvProjectionTiled}.
     */
    public static void linearTiled(KernelContext context, FloatArray x, FloatArray weight, FloatArray bias, FloatArray y, int rows, int inner, int cols,
            int hasBias, int activation, int accumulate, int lanes) {
        int col0 = context.globalIdx * TILE_COLUMNS;
        int row0 = context.globalIdy * TILED_ITEM_ROWS;
        float[] panel = new float[PROJECTION_PANEL_DEPTH * TILE_COLUMNS];
        float[] sums = new float[TILED_ITEM_ROWS * TILE_COLUMNS];
        if (col0 < cols && row0 < rows) {
            int itemRows = TornadoMath.min(TILED_ITEM_ROWS, rows - row0);
            if (lanes == 8) {
                for (int k0 = 0; k0 < inner; k0 += PROJECTION_PANEL_DEPTH) {
                    stageWeightPanel(panel, weight, inner, cols, col0, k0, 1);
                    addNarrowPanelProducts(sums, panel, x, rows, inner, row0, itemRows, k0);
                }
            } else {
                for (int k0 = 0; k0 < inner; k0 += PROJECTION_PANEL_DEPTH) {
                    stageWeightPanel(panel, weight, inner, cols, col0, k0, 1);
                    addPanelProducts(sums, panel, x, rows, inner, row0, itemRows, k0);
                }
            }
            activateTiles(sums, panel, bias, cols, itemRows, col0, hasBias, activation);
            storeTiles(sums, y, cols, row0, itemRows, col0, accumulate);
        }
    }

    /**
     * The gated feed-forward input, {@code h = act(x G^T + bg) * (x U^T + bu)}, in one pass over x: SwiGLU with
     * {@link #SILU} (Llama, Cohere 2), GeGLU with {@link #GELU_ERF} / {@link #GELU_TANH}. The gate and up
     * projections are two weights in {@code torch.nn.Linear} layout, as checkpoints store them ({@code gate_proj},
     * {@code up_proj}); the model then applies {@code down_proj} to h with {@link #linear}. Run over
     * {@link #grid}{@code (rows, hidden)}.
     *
     * @param gate     {@code [hidden, inner]}, likewise {@code up}
     * @param gateBias {@code [hidden]}, likewise {@code upBias}; read when {@code hasBias != 0}
     * @param h        {@code [rows, hidden]}
     */
    public static void gatedLinear(KernelContext context, FloatArray x, FloatArray gate, FloatArray up, FloatArray gateBias, FloatArray upBias, FloatArray h,
            int rows, int inner, int hidden, int hasBias, int activation) {
        int col0 = context.globalIdx * BLOCK_COLUMNS;
        float[] gateAcc = new float[ACCUMULATORS];
        float[] upAcc = new float[ACCUMULATORS];
        float[] staged = new float[STAGED];
        float[] rowValues = new float[ROW_VALUES];
        // The item's two row blocks one after the other: four accumulator blocks would not fit a core's L1 cache.
        int rowEnd = col0 < hidden ? TornadoMath.min(rows, (context.globalIdy + 1) * ITEM_ROWS) : 0;
        for (int row0 = context.globalIdy * ITEM_ROWS; row0 < rowEnd; row0 += BLOCK_ROWS) {
            int blockRows = TornadoMath.min(BLOCK_ROWS, rows - row0);
            int blockCols = TornadoMath.min(BLOCK_COLUMNS, hidden - col0);
            clear(gateAcc);
            clear(upAcc);
            for (int k = 0; k < inner; k += DEPTH_STEP) {
                int last = TornadoMath.min(DEPTH_STEP, inner - k) - 1;
                gatherRowValues(rowValues, x, row0 * inner + k, inner, 1, last, blockRows - 1);
                stage(staged, gate, col0 * inner + k, inner, 1, last, blockCols);
                updateFirstRows(gateAcc, staged, rowValues, blockCols);
                updateLastRows(gateAcc, staged, rowValues, blockCols);
                stage(staged, up, col0 * inner + k, inner, 1, last, blockCols);
                updateFirstRows(upAcc, staged, rowValues, blockCols);
                updateLastRows(upAcc, staged, rowValues, blockCols);
            }
            for (int i = 0; i < blockRows; i++) {
                int at = (row0 + i) * hidden + col0;
                for (int c = 0; c < blockCols; c++) {
                    float gateValue = gateAcc[i * BLOCK_COLUMNS + c] + (hasBias != 0 ? gateBias.get(col0 + c) : 0.0f);
                    float upValue = upAcc[i * BLOCK_COLUMNS + c] + (hasBias != 0 ? upBias.get(col0 + c) : 0.0f);
                    h.set(at + c, activate(activation, gateValue) * upValue);
                }
            }
        }
    }

    /**
     * {@link #gatedLinear} with {@link #linearTiled}'s register tiles, for OpenCL CPU compilers (PoCL): the same result
     * within float rounding (each of the two sums is the same serial sum over the inner dimension), over
     * {@link #tiledGrid}{@code (rows, hidden)}. A work-item owns {@value #TILED_ITEM_ROWS} rows by
     * {@value #TILE_COLUMNS} columns of h: per panel of the inner dimension it adds to the gate's sums, then to the up
     * projection's, each as {@link #linearTiled} does, and stores {@code act(gate + bg) * (up + bu)}.
     */
    public static void gatedLinearTiled(KernelContext context, FloatArray x, FloatArray gate, FloatArray up, FloatArray gateBias, FloatArray upBias,
            FloatArray h, int rows, int inner, int hidden, int hasBias, int activation, int lanes) {
        int col0 = context.globalIdx * TILE_COLUMNS;
        int row0 = context.globalIdy * TILED_ITEM_ROWS;
        float[] panel = new float[PROJECTION_PANEL_DEPTH * TILE_COLUMNS];
        float[] gateSums = new float[TILED_ITEM_ROWS * TILE_COLUMNS];
        float[] upSums = new float[TILED_ITEM_ROWS * TILE_COLUMNS];
        if (col0 < hidden && row0 < rows) {
            int itemRows = TornadoMath.min(TILED_ITEM_ROWS, rows - row0);
            if (lanes == 8) {
                for (int k0 = 0; k0 < inner; k0 += PROJECTION_PANEL_DEPTH) {
                    stageWeightPanel(panel, gate, inner, hidden, col0, k0, 1);
                    addNarrowPanelProducts(gateSums, panel, x, rows, inner, row0, itemRows, k0);
                    stageWeightPanel(panel, up, inner, hidden, col0, k0, 1);
                    addNarrowPanelProducts(upSums, panel, x, rows, inner, row0, itemRows, k0);
                }
            } else {
                for (int k0 = 0; k0 < inner; k0 += PROJECTION_PANEL_DEPTH) {
                    stageWeightPanel(panel, gate, inner, hidden, col0, k0, 1);
                    addPanelProducts(gateSums, panel, x, rows, inner, row0, itemRows, k0);
                    stageWeightPanel(panel, up, inner, hidden, col0, k0, 1);
                    addPanelProducts(upSums, panel, x, rows, inner, row0, itemRows, k0);
                }
            }
            gateTiles(gateSums, upSums, panel, gateBias, upBias, hidden, itemRows, col0, hasBias, activation);
            storeTiles(gateSums, h, hidden, row0, itemRows, col0, 0);
        }
    }

    /**
     * {@code y = act(norm(x) W^T + b)}: {@link #linearTiled} with its input's LayerNorm or RMSNorm in the same task,
     * over {@link #normTiledGrid}{@code (rows, cols, groupRows)}: one work-group per {@code groupRows} rows, its items
     * along x sharing every column (any number of items is correct; the grid has {@value #NORM_GROUP_ITEMS}). The group
     * first normalises its rows into {@code normed} ({@code [rows, inner]}, scratch that nothing else needs;
     * {@link Normalization#normalizeGroupRows}), then projects them row tile by row tile ({@link #accumulateRowTile}:
     * {@value #ROW_TILE_ROWS} rows staged once, W read in place by each tile of {@value #ROW_TILE_COLUMNS} columns): the
     * same bits as the norm task followed by {@link #linearTiled}, with one task fewer. {@code norm}: {@link Normalization#LAYER_NORM}
     * ({@code normWeight}, {@code normBias}) or {@link Normalization#RMS_NORM} ({@code normBias} not read).
     */
    public static void normLinearTiled(KernelContext context, FloatArray x, FloatArray normWeight, FloatArray normBias, FloatArray normed, FloatArray weight,
            FloatArray bias, FloatArray y, int rows, int inner, int cols, int groupRows, int norm, float eps, int hasBias, int activation, int lanes) {
        int row0 = context.groupIdy * groupRows;
        int[] base = new int[Normalization.ROW_GROUP];
        float[] rowSums = new float[Normalization.ROW_GROUP];
        float[] mean = new float[Normalization.ROW_GROUP];
        float[] meanCorrection = new float[Normalization.ROW_GROUP];
        float[] inputPanel = new float[INPUT_PANEL_DEPTH * ROW_TILE_ROWS];
        float[] tile = new float[ROW_TILE_ROWS * ROW_TILE_COLUMNS];
        float[] biasRow = new float[ROW_TILE_COLUMNS];
        Normalization.normalizeGroupRows(context, x, normWeight, normBias, normed, base, rowSums, mean, meanCorrection, rows, inner, row0, groupRows, norm, eps);
        int groupEnd = TornadoMath.min(rows, row0 + groupRows);
        if (lanes == 8) {
            float[] nextInputPanel = new float[INPUT_PANEL_DEPTH * ROW_TILE_ROWS];
            float[] nextTile = new float[ROW_TILE_ROWS * ROW_TILE_COLUMNS];
            for (int r0 = row0; r0 < groupEnd; r0 += 2 * ROW_TILE_ROWS) {
                for (int col0 = context.localIdx * ROW_TILE_COLUMNS; col0 < cols; col0 += context.localGroupSizeX * ROW_TILE_COLUMNS) {
                    addRowTilePairProducts(tile, nextTile, inputPanel, nextInputPanel, normed, weight, rows, inner, cols, r0, col0,
                            col0 < context.localGroupSizeX * ROW_TILE_COLUMNS ? 1 : 0);
                    storeRowTile(tile, 0, biasRow, bias, y, cols, r0, TornadoMath.min(ROW_TILE_ROWS, groupEnd - r0), col0, hasBias, activation, 0);
                    storeRowTile(nextTile, 0, biasRow, bias, y, cols, r0 + ROW_TILE_ROWS, TornadoMath.min(ROW_TILE_ROWS, groupEnd - r0 - ROW_TILE_ROWS), col0, hasBias,
                            activation, 0);
                }
            }
        } else {
            for (int r0 = row0; r0 < groupEnd; r0 += ROW_TILE_ROWS) {
                for (int col0 = context.localIdx * ROW_TILE_COLUMNS; col0 < cols; col0 += context.localGroupSizeX * ROW_TILE_COLUMNS) {
                    int firstColumnTile = col0 < context.localGroupSizeX * ROW_TILE_COLUMNS ? 1 : 0;
                    addRowTileProducts(tile, inputPanel, normed, weight, rows, inner, cols, r0, col0, firstColumnTile);
                    storeRowTile(tile, 0, biasRow, bias, y, cols, r0, TornadoMath.min(ROW_TILE_ROWS, groupEnd - r0), col0, hasBias, activation, 0);
                }
            }
        }
    }

    /**
     * A pre-norm block's attention output projection, its residual add, the feed-forward's norm and up projection, and
     * where asked its down projection with the second residual add, in one task: {@code x += input R^T + rb}, then
     * {@code y = act(norm(x) W^T + b)}, then {@code x += y D^T + db}, the weights in {@code torch.nn.Linear} layout
     * ({@code residualWeight [width, inner]}, {@code weight [cols, width]}, {@code downWeight [width, cols]}). Over
     * {@link #normTiledGrid}{@code (rows, max(width, cols), groupRows)}: a work-group owns {@code groupRows} rows and every
     * column, and everything after the attention output is row-local. It first adds the residual projection of its rows
     * into x in row tiles as {@link #normLinearTiled} projects (the same bits as {@link #linearTiled} with
     * {@code accumulate}); after a barrier the group normalises its rows of x into {@code normed} ({@code [rows, width]},
     * scratch; {@link Normalization#normalizeGroupRows}), then projects them into y as {@link #normLinearTiled} does; with
     * the down phase, after a second barrier, it adds the down projection of its rows of y into x, again in row tiles,
     * swept {@value #ROW_SWEEP_COLUMNS} columns at a time over {@value #PROJECTION_PANEL_DEPTH}-deep panels of y so that
     * panel and sums stay in L1 ({@link #ROW_SWEEP_COLUMNS}; the bits of {@link #linearTiled} with {@code accumulate}; y
     * stays the feed-forward's hidden activations). The same bits
     * as {@link #linearTiled} accumulating into x, {@link #normLinearTiled}, and with the down phase
     * {@link #linearTiled} accumulating into x again, with one or two tasks fewer. The down phase reads y from global
     * memory: its {@code groupRows} rows were just written by the group itself, so they come from the core's caches.
     *
     * @param downWeight read with the down phase only, like {@code downBias}
     * @param flags      {@link #residualNormFlags}: the biases read, the norm, the activation and whether the down phase
     *                   runs, in one argument, as a task takes at most 20
     */
    public static void residualNormLinearTiled(KernelContext context, FloatArray input, FloatArray residualWeight, FloatArray residualBias, FloatArray x,
            FloatArray normWeight, FloatArray normBias, FloatArray normed, FloatArray weight, FloatArray bias, FloatArray y, FloatArray downWeight,
            FloatArray downBias, int rows, int inner, int width, int cols, int groupRows, float eps, int flags) {
        int row0 = context.groupIdy * groupRows;
        int groupEnd = TornadoMath.min(rows, row0 + groupRows);
        int lanes = ((flags >> 9) & 1) != 0 ? 8 : 16;
        // Each phase has its own scratch, so that no private array lives across a barrier (PoCL keeps such arrays per work-item).
        float[] residualPanel = new float[INPUT_PANEL_DEPTH * ROW_TILE_ROWS];
        float[] residualTile = new float[ROW_TILE_ROWS * ROW_TILE_COLUMNS];
        float[] residualBiasRow = new float[ROW_TILE_COLUMNS];
        if (lanes == 8) {
            float[] nextResidualPanel = new float[INPUT_PANEL_DEPTH * ROW_TILE_ROWS];
            float[] nextResidualTile = new float[ROW_TILE_ROWS * ROW_TILE_COLUMNS];
            for (int r0 = row0; r0 < groupEnd; r0 += 2 * ROW_TILE_ROWS) {
                for (int col0 = context.localIdx * ROW_TILE_COLUMNS; col0 < width; col0 += context.localGroupSizeX * ROW_TILE_COLUMNS) {
                    addRowTilePairProducts(residualTile, nextResidualTile, residualPanel, nextResidualPanel, input, residualWeight, rows, inner, width, r0, col0,
                            col0 < context.localGroupSizeX * ROW_TILE_COLUMNS ? 1 : 0);
                    storeRowTile(residualTile, 0, residualBiasRow, residualBias, x, width, r0, TornadoMath.min(ROW_TILE_ROWS, groupEnd - r0), col0, flags & 1, NONE,
                            1);
                    storeRowTile(nextResidualTile, 0, residualBiasRow, residualBias, x, width, r0 + ROW_TILE_ROWS,
                            TornadoMath.min(ROW_TILE_ROWS, groupEnd - r0 - ROW_TILE_ROWS), col0, flags & 1, NONE, 1);
                }
            }
        } else {
            for (int r0 = row0; r0 < groupEnd; r0 += ROW_TILE_ROWS) {
                for (int col0 = context.localIdx * ROW_TILE_COLUMNS; col0 < width; col0 += context.localGroupSizeX * ROW_TILE_COLUMNS) {
                    addRowTileProducts(residualTile, residualPanel, input, residualWeight, rows, inner, width, r0, col0,
                            col0 < context.localGroupSizeX * ROW_TILE_COLUMNS ? 1 : 0);
                    storeRowTile(residualTile, 0, residualBiasRow, residualBias, x, width, r0, TornadoMath.min(ROW_TILE_ROWS, groupEnd - r0), col0, flags & 1, NONE,
                            1);
                }
            }
        }
        context.globalBarrier();
        int[] base = new int[Normalization.ROW_GROUP];
        float[] rowSums = new float[Normalization.ROW_GROUP];
        float[] mean = new float[Normalization.ROW_GROUP];
        float[] meanCorrection = new float[Normalization.ROW_GROUP];
        Normalization.normalizeGroupRows(context, x, normWeight, normBias, normed, base, rowSums, mean, meanCorrection, rows, width, row0, groupRows,
                (flags >> 4) & 3, eps);
        float[] inputPanel = new float[INPUT_PANEL_DEPTH * ROW_TILE_ROWS];
        float[] tile = new float[ROW_TILE_ROWS * ROW_TILE_COLUMNS];
        float[] biasRow = new float[ROW_TILE_COLUMNS];
        if (lanes == 8) {
            float[] nextInputPanel = new float[INPUT_PANEL_DEPTH * ROW_TILE_ROWS];
            float[] nextTile = new float[ROW_TILE_ROWS * ROW_TILE_COLUMNS];
            for (int r0 = row0; r0 < groupEnd; r0 += 2 * ROW_TILE_ROWS) {
                for (int col0 = context.localIdx * ROW_TILE_COLUMNS; col0 < cols; col0 += context.localGroupSizeX * ROW_TILE_COLUMNS) {
                    addRowTilePairProducts(tile, nextTile, inputPanel, nextInputPanel, normed, weight, rows, width, cols, r0, col0,
                            col0 < context.localGroupSizeX * ROW_TILE_COLUMNS ? 1 : 0);
                    storeRowTile(tile, 0, biasRow, bias, y, cols, r0, TornadoMath.min(ROW_TILE_ROWS, groupEnd - r0), col0, (flags >> 1) & 1, (flags >> 6) & 7, 0);
                    storeRowTile(nextTile, 0, biasRow, bias, y, cols, r0 + ROW_TILE_ROWS, TornadoMath.min(ROW_TILE_ROWS, groupEnd - r0 - ROW_TILE_ROWS), col0,
                            (flags >> 1) & 1, (flags >> 6) & 7, 0);
                }
            }
        } else {
            for (int r0 = row0; r0 < groupEnd; r0 += ROW_TILE_ROWS) {
                for (int col0 = context.localIdx * ROW_TILE_COLUMNS; col0 < cols; col0 += context.localGroupSizeX * ROW_TILE_COLUMNS) {
                    addRowTileProducts(tile, inputPanel, normed, weight, rows, width, cols, r0, col0, col0 < context.localGroupSizeX * ROW_TILE_COLUMNS ? 1 : 0);
                    storeRowTile(tile, 0, biasRow, bias, y, cols, r0, TornadoMath.min(ROW_TILE_ROWS, groupEnd - r0), col0, (flags >> 1) & 1, (flags >> 6) & 7, 0);
                }
            }
        }
        if (((flags >> 2) & 1) != 0) {
            context.globalBarrier();
            float[] downPanel = new float[PROJECTION_PANEL_DEPTH * ROW_TILE_ROWS];
            float[] downTiles = new float[ROW_TILE_ROWS * ROW_SWEEP_COLUMNS];
            float[] downBiasRow = new float[ROW_TILE_COLUMNS];
            if (lanes == 8) {
                float[] nextDownPanel = new float[PROJECTION_PANEL_DEPTH * ROW_TILE_ROWS];
                float[] nextDownTiles = new float[ROW_TILE_ROWS * ROW_SWEEP_COLUMNS];
                for (int r0 = row0; r0 < groupEnd; r0 += 2 * ROW_TILE_ROWS) {
                    for (int sweep0 = context.localIdx * ROW_SWEEP_COLUMNS; sweep0 < width; sweep0 += context.localGroupSizeX * ROW_SWEEP_COLUMNS) {
                        int sweepColumns = TornadoMath.min(ROW_SWEEP_COLUMNS, width - sweep0);
                        addSweepPairProducts(downTiles, nextDownTiles, downPanel, nextDownPanel, y, downWeight, rows, cols, width, r0, sweep0, sweepColumns);
                        addSweepPair(downTiles, nextDownTiles, downBiasRow, downBias, x, width, r0, groupEnd - r0, sweep0, sweepColumns, (flags >> 3) & 1);
                    }
                }
            } else {
                for (int r0 = row0; r0 < groupEnd; r0 += ROW_TILE_ROWS) {
                    for (int sweep0 = context.localIdx * ROW_SWEEP_COLUMNS; sweep0 < width; sweep0 += context.localGroupSizeX * ROW_SWEEP_COLUMNS) {
                        int sweepColumns = TornadoMath.min(ROW_SWEEP_COLUMNS, width - sweep0);
                        for (int k0 = 0; k0 < cols; k0 += PROJECTION_PANEL_DEPTH) {
                            stageInputPanel(downPanel, y, rows, cols, r0, k0, PROJECTION_PANEL_DEPTH);
                            for (int c = 0; c < sweepColumns; c += ROW_TILE_COLUMNS) {
                                accumulateRowTile(downTiles, c * ROW_TILE_ROWS, downPanel, downWeight, cols, width, sweep0 + c, k0, k0);
                            }
                        }
                        for (int c = 0; c < sweepColumns; c += ROW_TILE_COLUMNS) {
                            storeRowTile(downTiles, c * ROW_TILE_ROWS, downBiasRow, downBias, x, width, r0, TornadoMath.min(ROW_TILE_ROWS, groupEnd - r0),
                                    sweep0 + c, (flags >> 3) & 1, NONE, 1);
                        }
                    }
                }
            }
        }
    }

    /**
     * {@link #residualNormLinearTiled}'s {@code flags}: 1 if the residual projection has a bias, plus 2 if the second
     * projection has, plus 4 to run the down phase, plus 8 if the down projection has a bias, plus 16 times the norm
     * ({@link Normalization#LAYER_NORM} or {@link Normalization#RMS_NORM}), plus 64 times the activation, plus 512 for the
     * 8-lane row tiles ({@code lanes} 8: {@link #accumulateRowTilePair}; 16 runs the 16-lane ones).
     */
    public static int residualNormFlags(boolean residualBias, boolean bias, boolean down, boolean downBias, int norm, int activation, int lanes) {
        return residualNormFlags(residualBias, bias, down, downBias, norm, activation) + (lanes == 8 ? 512 : 0);
    }

    /** {@link #residualNormFlags(boolean, boolean, boolean, boolean, int, int, int)} for the 16-lane row tiles. */
    public static int residualNormFlags(boolean residualBias, boolean bias, boolean down, boolean downBias, int norm, int activation) {
        return (residualBias ? 1 : 0) + (bias ? 2 : 0) + (down ? 4 : 0) + (downBias ? 8 : 0) + 16 * norm + 64 * activation;
    }

    /**
     * {@link #gatedLinearTiled} of {@code norm(x)}, with the norm in the same task as {@link #normLinearTiled} has it,
     * over {@link #normTiledGrid}{@code (rows, hidden, groupRows)}: the same bits as the norm task followed by
     * {@link #gatedLinearTiled}. Its items walk the column tiles with {@link #linearTiled}'s panels of W, staged value by
     * value (vector runs became gathers here); the row tiles of {@link #normLinearTiled} would need two sums per column
     * (not written: no config measured here runs a norm-fused gated feed-forward on PoCL).
     */
    public static void normGatedLinearTiled(KernelContext context, FloatArray x, FloatArray normWeight, FloatArray normBias, FloatArray normed,
            FloatArray gate, FloatArray up, FloatArray gateBias, FloatArray upBias, FloatArray h, int rows, int inner, int hidden, int groupRows, int norm,
            float eps, int hasBias, int activation) {
        int row0 = context.groupIdy * groupRows;
        int[] base = new int[Normalization.ROW_GROUP];
        float[] rowSums = new float[Normalization.ROW_GROUP];
        float[] mean = new float[Normalization.ROW_GROUP];
        float[] meanCorrection = new float[Normalization.ROW_GROUP];
        float[] panel = new float[PROJECTION_PANEL_DEPTH * TILE_COLUMNS];
        float[] gateSums = new float[TILED_ITEM_ROWS * TILE_COLUMNS];
        float[] upSums = new float[TILED_ITEM_ROWS * TILE_COLUMNS];
        Normalization.normalizeGroupRows(context, x, normWeight, normBias, normed, base, rowSums, mean, meanCorrection, rows, inner, row0, groupRows, norm, eps);
        if (row0 < rows) {
            int itemRows = TornadoMath.min(groupRows, rows - row0);
            for (int col0 = context.localIdx * TILE_COLUMNS; col0 < hidden; col0 += context.localGroupSizeX * TILE_COLUMNS) {
                for (int k0 = 0; k0 < inner; k0 += PROJECTION_PANEL_DEPTH) {
                    stageWeightPanel(panel, gate, inner, hidden, col0, k0, 0);
                    addPanelProducts(gateSums, panel, normed, rows, inner, row0, itemRows, k0);
                    stageWeightPanel(panel, up, inner, hidden, col0, k0, 0);
                    addPanelProducts(upSums, panel, normed, rows, inner, row0, itemRows, k0);
                }
                gateTiles(gateSums, upSums, panel, gateBias, upBias, hidden, itemRows, col0, hasBias, activation);
                storeTiles(gateSums, h, hidden, row0, itemRows, col0, 0);
            }
        }
    }

    /**
     * {@code y = a b (+ y)}, or {@code y = a^T b (+ y)} with {@code transposeA != 0}, over
     * {@link #grid}{@code (rows, cols)}. The gradients of a linear layer {@code Y = X W^T}:
     * {@code dX [rows, in] = dY [rows, out] W [out, in]} is {@code product(dY, W, dX, rows, out, in, 0, 0)};
     * {@code dW [out, in] (+)= dY^T X} is {@code product(dY, X, dW, out, rows, in, 1, accumulate)}, accumulated
     * over micro-batches with {@code accumulate = 1}.
     *
     * @param a {@code [rows, inner]}, or {@code [inner, rows]} with {@code transposeA != 0}
     * @param b {@code [inner, cols]}
     * @param y {@code [rows, cols]}
     */
    public static void product(KernelContext context, FloatArray a, FloatArray b, FloatArray y, int rows, int inner, int cols, int transposeA,
            int accumulate) {
        int col0 = context.globalIdx * BLOCK_COLUMNS;
        int row0 = context.globalIdy * ITEM_ROWS;
        float[] acc = new float[ACCUMULATORS];
        float[] lowerAcc = new float[ACCUMULATORS];
        float[] staged = new float[STAGED];
        float[] rowValues = new float[ROW_VALUES];
        float[] lowerRowValues = new float[ROW_VALUES];
        if (col0 < cols && row0 < rows) {
            int blockRows = TornadoMath.min(BLOCK_ROWS, rows - row0);
            int lowerRow0 = lowerBlockStart(rows, row0);
            int lowerRows = lowerBlockRows(rows, row0);
            int blockCols = TornadoMath.min(BLOCK_COLUMNS, cols - col0);
            int aRowStride = transposeA != 0 ? 1 : inner;
            int aDepthStride = transposeA != 0 ? rows : 1;
            clear(acc);
            clear(lowerAcc);
            for (int k = 0; k < inner; k += DEPTH_STEP) {
                int last = TornadoMath.min(DEPTH_STEP, inner - k) - 1;
                stage(staged, b, col0 + k * cols, 1, cols, last, blockCols);
                gatherRowValues(rowValues, a, row0 * aRowStride + k * aDepthStride, aRowStride, aDepthStride, last, blockRows - 1);
                updateFirstRows(acc, staged, rowValues, blockCols);
                updateLastRows(acc, staged, rowValues, blockCols);
                if (lowerRows > 0) {
                    gatherRowValues(lowerRowValues, a, lowerRow0 * aRowStride + k * aDepthStride, aRowStride, aDepthStride, last, lowerRows - 1);
                    updateFirstRows(lowerAcc, staged, lowerRowValues, blockCols);
                    updateLastRows(lowerAcc, staged, lowerRowValues, blockCols);
                }
            }
            storeBlock(acc, BLOCK_COLUMNS, y, y, cols, row0, blockRows, col0, blockCols, 0, NONE, accumulate);
            storeBlock(lowerAcc, BLOCK_COLUMNS, y, y, cols, lowerRow0, lowerRows, col0, blockCols, 0, NONE, accumulate);
        }
    }

    /**
     * {@link #product} with {@link #linearTiled}'s register tiles, for OpenCL CPU compilers (PoCL): the same result
     * within float rounding (each output the serial sum over the inner dimension), over
     * {@link #productTiledGrid}{@code (rows, cols)}, a work-item owning {@value #PRODUCT_ITEM_ROWS} rows. The panel is a {@value #PANEL_DEPTH}-row slice of b, contiguous along
     * the columns as b is; with {@code transposeA != 0} a tile's rows of {@code a^T} are consecutive values of a, and
     * where the item's rows are a multiple of {@value #WIDE_TILE_ROWS} its tiles have that many rows (16 sums, one vector
     * load of a per depth; JMH dW at 2048 rows on PoCL, two alternating pairs: 3-12 % faster than tiles of
     * {@value #TILE_ROWS} at in x out 256x768, 15-17 % at 256x1024, 10-33 % at 1024x256).
     *
     * @param a {@code [rows, inner]}, or {@code [inner, rows]} with {@code transposeA != 0}
     * @param b {@code [inner, cols]}
     * @param y {@code [rows, cols]}
     * @param lanes as {@link #linearTiled}'s; with 8, {@code a^T} too in tiles of {@value #NARROW_TILE_ROWS} rows
     */
    public static void productTiled(KernelContext context, FloatArray a, FloatArray b, FloatArray y, int rows, int inner, int cols, int transposeA,
            int accumulate, int lanes) {
        int col0 = context.globalIdx * TILE_COLUMNS;
        int row0 = context.globalIdy * PRODUCT_ITEM_ROWS;
        float[] panel = new float[PANEL_DEPTH * TILE_COLUMNS];
        float[] sums = new float[PRODUCT_ITEM_ROWS * TILE_COLUMNS];
        if (col0 < cols && row0 < rows) {
            int itemRows = TornadoMath.min(PRODUCT_ITEM_ROWS, rows - row0);
            if (lanes == 8) {
                // Tiles of NARROW_TILE_ROWS rows for both layouts of a (a^T's wide tiles need 32 ymm registers for
                // their sums alone). Copying a^T's 16 rows per depth into a private panel first, as the wide tiles
                // read them, made dW slower (2026-11-30: 14.0 / 18.5 / 16.5 ms against 8.5 / 11.1 / 11.2 in place).
                for (int k0 = 0; k0 < inner; k0 += PANEL_DEPTH) {
                    int depth = TornadoMath.min(PANEL_DEPTH, inner - k0);
                    stageRowPanel(panel, b, cols, col0, k0, depth);
                    accumulateNarrowTiles(sums, panel, a, transposeA != 0 ? 1 : inner, transposeA != 0 ? rows : 1, rows, row0, itemRows, k0, depth);
                }
            } else {
                for (int k0 = 0; k0 < inner; k0 += PANEL_DEPTH) {
                    int depth = TornadoMath.min(PANEL_DEPTH, inner - k0);
                    stageRowPanel(panel, b, cols, col0, k0, depth);
                    if (transposeA == 0 || itemRows % WIDE_TILE_ROWS != 0) {
                        accumulateTiles(sums, panel, a, transposeA != 0 ? 1 : inner, transposeA != 0 ? rows : 1, rows, row0, itemRows, k0, depth);
                    } else {
                        // a^T's tiles of WIDE_TILE_ROWS rows, written out here (the kernel itself may pass TornadoVM's
                        // inlining limit, a callee may not): a tile's rows at one depth are 16 consecutive values of a,
                        // one vector load whose lanes are broadcast in turn. In tiles of 8 rows two tiles read each line,
                        // 64 depths apart a row of a (4 KB at 1024 columns), so it had left L1 before the second came.
                        if (k0 == 0) {
                            for (int e = 0; e < itemRows * TILE_COLUMNS; e++) {
                                sums[e] = 0.0f;
                            }
                        }
                        for (int t = 0; t < itemRows; t += WIDE_TILE_ROWS) {
                            Float16 sum0 = broadcast(0.0f);
                            Float16 sum1 = broadcast(0.0f);
                            Float16 sum2 = broadcast(0.0f);
                            Float16 sum3 = broadcast(0.0f);
                            Float16 sum4 = broadcast(0.0f);
                            Float16 sum5 = broadcast(0.0f);
                            Float16 sum6 = broadcast(0.0f);
                            Float16 sum7 = broadcast(0.0f);
                            Float16 sum8 = broadcast(0.0f);
                            Float16 sum9 = broadcast(0.0f);
                            Float16 sum10 = broadcast(0.0f);
                            Float16 sum11 = broadcast(0.0f);
                            Float16 sum12 = broadcast(0.0f);
                            Float16 sum13 = broadcast(0.0f);
                            Float16 sum14 = broadcast(0.0f);
                            Float16 sum15 = broadcast(0.0f);
                            for (int k = 0; k < depth; k++) {
                                Float16 w = load(panel, k * TILE_COLUMNS);
                                Float16 column = loadStrided(a, (k0 + k) * rows + row0 + t, 1);
                                sum0 = multiplyAdd(sum0, column.get(0), w);
                                sum1 = multiplyAdd(sum1, column.get(1), w);
                                sum2 = multiplyAdd(sum2, column.get(2), w);
                                sum3 = multiplyAdd(sum3, column.get(3), w);
                                sum4 = multiplyAdd(sum4, column.get(4), w);
                                sum5 = multiplyAdd(sum5, column.get(5), w);
                                sum6 = multiplyAdd(sum6, column.get(6), w);
                                sum7 = multiplyAdd(sum7, column.get(7), w);
                                sum8 = multiplyAdd(sum8, column.get(8), w);
                                sum9 = multiplyAdd(sum9, column.get(9), w);
                                sum10 = multiplyAdd(sum10, column.get(10), w);
                                sum11 = multiplyAdd(sum11, column.get(11), w);
                                sum12 = multiplyAdd(sum12, column.get(12), w);
                                sum13 = multiplyAdd(sum13, column.get(13), w);
                                sum14 = multiplyAdd(sum14, column.get(14), w);
                                sum15 = multiplyAdd(sum15, column.get(15), w);
                            }
                            addVector(sums, t * TILE_COLUMNS, sum0);
                            addVector(sums, (t + 1) * TILE_COLUMNS, sum1);
                            addVector(sums, (t + 2) * TILE_COLUMNS, sum2);
                            addVector(sums, (t + 3) * TILE_COLUMNS, sum3);
                            addVector(sums, (t + 4) * TILE_COLUMNS, sum4);
                            addVector(sums, (t + 5) * TILE_COLUMNS, sum5);
                            addVector(sums, (t + 6) * TILE_COLUMNS, sum6);
                            addVector(sums, (t + 7) * TILE_COLUMNS, sum7);
                            addVector(sums, (t + 8) * TILE_COLUMNS, sum8);
                            addVector(sums, (t + 9) * TILE_COLUMNS, sum9);
                            addVector(sums, (t + 10) * TILE_COLUMNS, sum10);
                            addVector(sums, (t + 11) * TILE_COLUMNS, sum11);
                            addVector(sums, (t + 12) * TILE_COLUMNS, sum12);
                            addVector(sums, (t + 13) * TILE_COLUMNS, sum13);
                            addVector(sums, (t + 14) * TILE_COLUMNS, sum14);
                            addVector(sums, (t + 15) * TILE_COLUMNS, sum15);
                        }
                    }
                }
            }
            storeTiles(sums, y, cols, row0, itemRows, col0, accumulate);
        }
    }

    /**
     * {@code sums[c] = sum_r a[r, c] (+ sums[c])}: the bias gradient {@code db = sum over rows of dY}. One
     * {@code @Parallel} iteration per block of {@value #COLUMN_SUM_BLOCK} columns, walking the rows along them (one
     * work-item per column walked a column at a stride of a whole row: at 1024 columns every load came from L2, since
     * the 4 KB stride puts a column's lines in one L1 set); per column four interleaved partial sums over the rows.
     *
     * @param a    {@code [rows, cols]}
     * @param sums {@code [cols]}
     */
    public static void columnSums(FloatArray a, FloatArray sums, int rows, int cols, int accumulate) {
        for (@Parallel int block = 0; block < (cols + COLUMN_SUM_BLOCK - 1) / COLUMN_SUM_BLOCK; block++) {
            float[] partial = new float[4 * COLUMN_SUM_BLOCK];
            int first = block * COLUMN_SUM_BLOCK;
            int width = TornadoMath.min(COLUMN_SUM_BLOCK, cols - first);
            for (int i = 0; i < 4 * COLUMN_SUM_BLOCK; i++) {
                partial[i] = 0.0f;
            }
            int blocked = rows - rows % 4;
            if (width == COLUMN_SUM_BLOCK) {
                // The four partial sums as vectors, one load per row: the scalar loop below ran on vectors across
                // work-items on PoCL, each load a gather at a stride of 16 columns. The same additions lane by lane.
                Float16 sum0 = broadcast(0.0f);
                Float16 sum1 = broadcast(0.0f);
                Float16 sum2 = broadcast(0.0f);
                Float16 sum3 = broadcast(0.0f);
                for (int r = 0; r < blocked; r += 4) {
                    sum0 = Float16.add(sum0, loadStrided(a, r * cols + first, 1));
                    sum1 = Float16.add(sum1, loadStrided(a, (r + 1) * cols + first, 1));
                    sum2 = Float16.add(sum2, loadStrided(a, (r + 2) * cols + first, 1));
                    sum3 = Float16.add(sum3, loadStrided(a, (r + 3) * cols + first, 1));
                }
                store(partial, 0, sum0);
                store(partial, COLUMN_SUM_BLOCK, sum1);
                store(partial, 2 * COLUMN_SUM_BLOCK, sum2);
                store(partial, 3 * COLUMN_SUM_BLOCK, sum3);
            } else {
                for (int r = 0; r < blocked; r += 4) {
                    for (int p = 0; p < 4; p++) {
                        int rowBase = (r + p) * cols + first;
                        for (int c = 0; c < width; c++) {
                            partial[p * COLUMN_SUM_BLOCK + c] += a.get(rowBase + c);
                        }
                    }
                }
            }
            for (int r = blocked; r < rows; r++) {
                for (int c = 0; c < width; c++) {
                    partial[c] += a.get(r * cols + first + c);
                }
            }
            for (int c = 0; c < width; c++) {
                float total = (partial[c] + partial[COLUMN_SUM_BLOCK + c]) + (partial[2 * COLUMN_SUM_BLOCK + c] + partial[3 * COLUMN_SUM_BLOCK + c]);
                sums.set(first + c, accumulate != 0 ? sums.get(first + c) + total : total);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Device helpers (inlined into the kernels; LinearKernels builds its projections on them).
    // ---------------------------------------------------------------------------------------------------------

    /** The activation {@code kind} of x, with {@link Activations}' formulas. */
    public static float activate(int kind, float x) {
        float result = x;
        if (kind == RELU) {
            result = TornadoMath.max(x, 0.0f);
        } else if (kind == GELU_ERF) {
            result = 0.5f * x * (1.0f + Activations.erf(x * SQRT_HALF));
        } else if (kind == GELU_TANH) {
            result = 0.5f * x * (1.0f + TornadoMath.tanh(SQRT_TWO_OVER_PI * (x + GELU_TANH_CUBIC * x * x * x)));
        } else if (kind == SILU) {
            result = x / (1.0f + TornadoMath.exp(-x));
        }
        return result;
    }

    /**
     * {@link #activate} bit for bit on the JVM, with the erf GELU through {@link Activations#erfWithoutBranches}: for
     * loops over whole tiles that an OpenCL compiler vectorizes ({@link #activateTiles}).
     */
    public static float activateWithoutBranches(int kind, float x) {
        return kind == GELU_ERF ? Activations.geluErfWithoutBranches(x) : activate(kind, x);
    }

    /**
     * {@code sums = act(sums + bias)} in place over a register-tiled work-item's {@code itemRows} rows and all
     * {@value #TILE_COLUMNS} columns (columns past {@code cols} take the last column's bias and are never stored), the
     * bias first copied to {@code biasRow} (scratch of at least {@value #TILE_COLUMNS}). The loop over the columns has a
     * constant trip count and no branch, so PoCL runs it on vectors (a store loop that stops at {@code cols} stayed scalar,
     * and so did its erf); {@link #storeTiles} then stores. The same value per element as {@link #storeBlock}'s.
     */
    static void activateTiles(float[] sums, float[] biasRow, FloatArray bias, int cols, int itemRows, int col0, int hasBias, int activation) {
        for (int j = 0; j < TILE_COLUMNS; j++) {
            biasRow[j] = hasBias != 0 ? bias.get(TornadoMath.min(col0 + j, cols - 1)) : 0.0f;
        }
        for (int i = 0; i < itemRows; i++) {
            for (int j = 0; j < TILE_COLUMNS; j++) {
                sums[i * TILE_COLUMNS + j] = activateWithoutBranches(activation, sums[i * TILE_COLUMNS + j] + biasRow[j]);
            }
        }
    }

    /**
     * {@code gateSums = act(gateSums + bg) * (upSums + bu)}, the gated projections' epilogue ({@code biasRow}: scratch of
     * at least {@value #TILE_COLUMNS}), as {@link #activateTiles}.
     */
    static void gateTiles(float[] gateSums, float[] upSums, float[] biasRow, FloatArray gateBias, FloatArray upBias, int hidden, int itemRows, int col0,
            int hasBias, int activation) {
        activateTiles(gateSums, biasRow, gateBias, hidden, itemRows, col0, hasBias, activation);
        for (int j = 0; j < TILE_COLUMNS; j++) {
            biasRow[j] = hasBias != 0 ? upBias.get(TornadoMath.min(col0 + j, hidden - 1)) : 0.0f;
        }
        for (int i = 0; i < itemRows; i++) {
            for (int j = 0; j < TILE_COLUMNS; j++) {
                gateSums[i * TILE_COLUMNS + j] = gateSums[i * TILE_COLUMNS + j] * (upSums[i * TILE_COLUMNS + j] + biasRow[j]);
            }
        }
    }

    /**
     * {@code y = sums (+ y)} for a register-tiled work-item's rows and the columns before {@code cols}. A row of all
     * {@value #TILE_COLUMNS} columns is stored as one vector ({@link #storeRun}): as a loop that stops at {@code cols},
     * PoCL stored it with {@code vscatterqps}, a quarter of {@link #linearTiled}'s time at 2048 x 256 x 768.
     */
    static void storeTiles(float[] sums, FloatArray y, int cols, int row0, int itemRows, int col0, int accumulate) {
        int itemCols = TornadoMath.min(TILE_COLUMNS, cols - col0);
        if (itemCols == TILE_COLUMNS) {
            for (int i = 0; i < itemRows; i++) {
                storeRun(load(sums, i * TILE_COLUMNS), y, (row0 + i) * cols + col0, accumulate);
            }
        } else {
            for (int i = 0; i < itemRows; i++) {
                int at = (row0 + i) * cols + col0;
                for (int c = 0; c < itemCols; c++) {
                    float value = sums[i * TILE_COLUMNS + c];
                    y.set(at + c, accumulate != 0 ? y.get(at + c) + value : value);
                }
            }
        }
    }

    /**
     * {@code y[at + j] = values[j] (+ y[at + j])} for the 16 lanes: with constant lanes (this loop is unrolled before it
     * is compiled, as {@link #addVector}'s) LLVM merges the 16 stores into one vector store.
     */
    static void storeRun(Float16 values, FloatArray y, int at, int accumulate) {
        Float16 stored = accumulate != 0 ? Float16.add(loadStrided(y, at, 1), values) : values;
        for (int j = 0; j < TILE_COLUMNS; j++) {
            y.set(at + j, stored.get(j));
        }
    }

    /**
     * The first row of a work-item's lower block ({@link #ITEM_ROWS}): {@code row0 + BLOCK_ROWS}, or the last row when
     * the lower block is empty (a row that exists, never stored).
     */
    static int lowerBlockStart(int rows, int row0) {
        return TornadoMath.min(row0 + BLOCK_ROWS, rows - 1);
    }

    /** How many rows of a work-item's lower block exist (0 to {@value #BLOCK_ROWS}). */
    static int lowerBlockRows(int rows, int row0) {
        return TornadoMath.max(0, TornadoMath.min(BLOCK_ROWS, rows - row0 - BLOCK_ROWS));
    }

    /**
     * Stages the panel of W at inner value {@code k0} for a {@link #linearTiled} work-item's columns: {@link #stagePanel}
     * with {@code B = W^T} and {@value #PROJECTION_PANEL_DEPTH} inner values ({@code panel}: at least that many rows of
     * {@value #TILE_COLUMNS}; {@code vectorRuns}: see {@link #stagePanel}, 1 for a kernel whose work-items run alone, 0 in
     * a work-group with a barrier). With {@link #addPanelProducts}, the projections' loop over the inner dimension:
     *
     * <pre>
     * for (int k0 = 0; k0 &lt; inner; k0 += PROJECTION_PANEL_DEPTH) {
     *     stageWeightPanel(panel, weight, inner, cols, col0, k0, 1);
     *     addPanelProducts(sums, panel, x, rows, inner, row0, itemRows, k0);
     * }
     * </pre>
     *
     * leaves {@code sums[i][j] = sum_k x[row0 + i, k] W[col0 + j, k]} for the item's {@code itemRows} rows
     * ({@code sums}: {@value #TILED_ITEM_ROWS} x {@value #TILE_COLUMNS}). The loop is the kernels' own: a method holding
     * both steps would pass TornadoVM's inlining limit (600 graph nodes, callees included; only the kernel itself may
     * be larger).
     */
    static void stageWeightPanel(float[] panel, FloatArray weight, int inner, int cols, int col0, int k0, int vectorRuns) {
        stagePanel(panel, weight, inner, 1, cols, col0, k0, TornadoMath.min(PROJECTION_PANEL_DEPTH, inner - k0), vectorRuns);
    }

    /** Adds the products of x's rows with the panel {@link #stageWeightPanel} staged at {@code k0} to {@code sums}. */
    static void addPanelProducts(float[] sums, float[] panel, FloatArray x, int rows, int inner, int row0, int itemRows, int k0) {
        accumulateTiles(sums, panel, x, inner, 1, rows, row0, itemRows, k0, TornadoMath.min(PROJECTION_PANEL_DEPTH, inner - k0));
    }

    /** {@link #addPanelProducts} in {@link #accumulateNarrowTiles}' tiles, for 8-lane devices: the same bits. */
    static void addNarrowPanelProducts(float[] sums, float[] panel, FloatArray x, int rows, int inner, int row0, int itemRows, int k0) {
        accumulateNarrowTiles(sums, panel, x, inner, 1, rows, row0, itemRows, k0, TornadoMath.min(PROJECTION_PANEL_DEPTH, inner - k0));
    }

    /**
     * {@code panel[k][r] = x[r0 + r, k1 + k]} for the {@value #ROW_TILE_ROWS} rows of a row tile and up to
     * {@code panelDepth} ({@value #INPUT_PANEL_DEPTH} or {@value #PROJECTION_PANEL_DEPTH}) inner values from {@code k1}
     * ({@code panel}: at least that many rows of {@value #ROW_TILE_ROWS}); rows past {@code rows} read the last row (never
     * stored). Value by value: it is staged once per row tile (or per sweep, {@link #ROW_SWEEP_COLUMNS}) and read by every
     * column tile of the projection, so its cost hardly counts.
     */
    static void stageInputPanel(float[] panel, FloatArray x, int rows, int inner, int r0, int k1, int panelDepth) {
        int depth = TornadoMath.min(panelDepth, inner - k1);
        for (int r = 0; r < ROW_TILE_ROWS; r++) {
            int from = TornadoMath.min(r0 + r, rows - 1) * inner + k1;
            for (int k = 0; k < depth; k++) {
                panel[k * ROW_TILE_ROWS + r] = x.get(from + k);
            }
        }
    }

    /**
     * Adds {@code sum_k x[r0 + r, k0 + k] W[col0 + c, k0 + k]} over the {@value #PROJECTION_PANEL_DEPTH} inner values from
     * {@code k0} (fewer at the end) to {@code tile[tileAt + r * ROW_TILE_COLUMNS + c]} ({@value #ROW_TILE_ROWS} x
     * {@value #ROW_TILE_COLUMNS}, row-major, from {@code tileAt}; the first panel, {@code k0 == 0}, starts it at zero), x's
     * values coming from the {@link #stageInputPanel} panel staged at {@code k1} ({@code k0 - k1} below its depth). Columns
     * past {@code cols} read the last column. {@link #addRowTileProducts} holds the loop over the panels, or a kernel's
     * sweep ({@link #ROW_SWEEP_COLUMNS}).
     *
     * <p>Each column's sum is one {@code Float16} over the tile's 16 rows: per inner value one vector load of the panel,
     * and per column a multiply by a broadcast value of W (read in place: each W row is a run along the inner dimension)
     * and an add. Each output is the same serial sum over the inner dimension, panel by panel, as in
     * {@link #accumulateTiles}: the same bits as {@link #linearTiled}. The tiles with a staged panel of W
     * ({@link #linearTiled}) stage it per item; a group here would stage all of W per {@code groupRows} rows, which cost
     * the norm-fused kernels about 30 % of their time at 64 rows a group (rnope-swa at L = 128 on PoCL).
     */
    static void accumulateRowTile(float[] tile, int tileAt, float[] inputPanel, FloatArray weight, int inner, int cols, int col0, int k0, int k1) {
        if (k0 == 0) {
            for (int e = 0; e < ROW_TILE_ROWS * ROW_TILE_COLUMNS; e++) {
                tile[tileAt + e] = 0.0f;
            }
        }
        int depth = TornadoMath.min(PROJECTION_PANEL_DEPTH, inner - k0);
        int at = k0 - k1;
        int w0 = TornadoMath.min(col0, cols - 1) * inner + k0;
        int w1 = TornadoMath.min(col0 + 1, cols - 1) * inner + k0;
        int w2 = TornadoMath.min(col0 + 2, cols - 1) * inner + k0;
        int w3 = TornadoMath.min(col0 + 3, cols - 1) * inner + k0;
        int w4 = TornadoMath.min(col0 + 4, cols - 1) * inner + k0;
        int w5 = TornadoMath.min(col0 + 5, cols - 1) * inner + k0;
        int w6 = TornadoMath.min(col0 + 6, cols - 1) * inner + k0;
        int w7 = TornadoMath.min(col0 + 7, cols - 1) * inner + k0;
        Float16 sum0 = broadcast(0.0f);
        Float16 sum1 = broadcast(0.0f);
        Float16 sum2 = broadcast(0.0f);
        Float16 sum3 = broadcast(0.0f);
        Float16 sum4 = broadcast(0.0f);
        Float16 sum5 = broadcast(0.0f);
        Float16 sum6 = broadcast(0.0f);
        Float16 sum7 = broadcast(0.0f);
        for (int k = 0; k < depth; k++) {
            Float16 xs = load(inputPanel, (at + k) * ROW_TILE_ROWS);
            sum0 = multiplyAdd(sum0, weight.get(w0 + k), xs);
            sum1 = multiplyAdd(sum1, weight.get(w1 + k), xs);
            sum2 = multiplyAdd(sum2, weight.get(w2 + k), xs);
            sum3 = multiplyAdd(sum3, weight.get(w3 + k), xs);
            sum4 = multiplyAdd(sum4, weight.get(w4 + k), xs);
            sum5 = multiplyAdd(sum5, weight.get(w5 + k), xs);
            sum6 = multiplyAdd(sum6, weight.get(w6 + k), xs);
            sum7 = multiplyAdd(sum7, weight.get(w7 + k), xs);
        }
        addLanesDown(tile, tileAt, 0, sum0);
        addLanesDown(tile, tileAt, 1, sum1);
        addLanesDown(tile, tileAt, 2, sum2);
        addLanesDown(tile, tileAt, 3, sum3);
        addLanesDown(tile, tileAt, 4, sum4);
        addLanesDown(tile, tileAt, 5, sum5);
        addLanesDown(tile, tileAt, 6, sum6);
        addLanesDown(tile, tileAt, 7, sum7);
    }

    /**
     * {@link #accumulateRowTile} for two row tiles at once on 8-lane (AVX2) devices: the tile {@code tile} of the rows
     * staged in {@code inputPanel} and {@code nextTile} of those in {@code nextPanel} (both from {@code tileAt}), column
     * pair by column pair ({@link #accumulateRowTilePairColumns}), so that each value of W read serves 32 rows instead of
     * 16. Each column's sum is the same serial sum as in {@link #accumulateRowTile}: the same bits. A {@code Float16} is
     * two {@code ymm} registers on AVX2: 4 sums take 8, the two panel vectors 4 and the two broadcasts of W 2, so the
     * loop over the inner values runs without stack traffic (perf annotate on PoCL, Zen 3: 4 panel loads, 2
     * {@code vbroadcastss}, 8 {@code vmulps}, 8 {@code vaddps} per inner value). The tiles of 16 rows and 4 columns it
     * replaced read all of W (1 MB for rnope-swa's up and down projections, beyond a Zen 3 core's 512 KB L2) once per 16
     * rows and waited on it; rnope-swa at L = 128 on PoCL (2026-11-30, Zen 3, 2 cores) took 28.3-30.4 ms a forward
     * pass against 31.2-35.2 ms with them (benchmarks/README.md).
     */
    static void accumulateRowTilePair(float[] tile, float[] nextTile, int tileAt, float[] inputPanel, float[] nextPanel, FloatArray weight, int inner,
            int cols, int col0, int k0, int k1) {
        if (k0 == 0) {
            for (int e = 0; e < ROW_TILE_ROWS * ROW_TILE_COLUMNS; e++) {
                tile[tileAt + e] = 0.0f;
                nextTile[tileAt + e] = 0.0f;
            }
        }
        for (int c0 = 0; c0 < ROW_TILE_COLUMNS; c0 += 2) {
            accumulateRowTilePairColumns(tile, nextTile, tileAt, inputPanel, nextPanel, weight, inner, cols, col0, c0, k0, k1);
        }
    }

    /** Adds one panel's products to the columns {@code c0} and {@code c0 + 1} of both row tiles of {@link #accumulateRowTilePair}: 8 ymm sums. */
    static void accumulateRowTilePairColumns(float[] tile, float[] nextTile, int tileAt, float[] inputPanel, float[] nextPanel, FloatArray weight,
            int inner, int cols, int col0, int c0, int k0, int k1) {
        int depth = TornadoMath.min(PROJECTION_PANEL_DEPTH, inner - k0);
        int at = k0 - k1;
        int w0 = TornadoMath.min(col0 + c0, cols - 1) * inner + k0;
        int w1 = TornadoMath.min(col0 + c0 + 1, cols - 1) * inner + k0;
        Float16 sum0 = broadcast(0.0f);
        Float16 sum1 = broadcast(0.0f);
        Float16 nextSum0 = broadcast(0.0f);
        Float16 nextSum1 = broadcast(0.0f);
        for (int k = 0; k < depth; k++) {
            Float16 xs = load(inputPanel, (at + k) * ROW_TILE_ROWS);
            Float16 nextXs = load(nextPanel, (at + k) * ROW_TILE_ROWS);
            float v0 = weight.get(w0 + k);
            float v1 = weight.get(w1 + k);
            sum0 = multiplyAdd(sum0, v0, xs);
            sum1 = multiplyAdd(sum1, v1, xs);
            nextSum0 = multiplyAdd(nextSum0, v0, nextXs);
            nextSum1 = multiplyAdd(nextSum1, v1, nextXs);
        }
        addLanesDown(tile, tileAt, c0, sum0);
        addLanesDown(tile, tileAt, c0 + 1, sum1);
        addLanesDown(nextTile, tileAt, c0, nextSum0);
        addLanesDown(nextTile, tileAt, c0 + 1, nextSum1);
    }

    /**
     * The products of one sweep ({@link #ROW_SWEEP_COLUMNS}) of two row tiles at once, {@code tiles[c][r][j] = sum_k
     * x[r0 + r, k] W[sweep0 + c + j, k]} for the {@code sweepColumns} columns from {@code sweep0} ({@code tiles} for the
     * rows from {@code r0}, {@code nextTiles} for the {@value #ROW_TILE_ROWS} after them; each {@value #ROW_TILE_ROWS} x
     * {@value #ROW_SWEEP_COLUMNS}, tile after tile of {@value #ROW_TILE_COLUMNS} columns): x staged
     * {@value #PROJECTION_PANEL_DEPTH} values deep for both tiles, then {@link #accumulateRowTilePair} per column tile. The
     * 8-lane down phases' products.
     */
    static void addSweepPairProducts(float[] tiles, float[] nextTiles, float[] panel, float[] nextPanel, FloatArray x, FloatArray weight, int rows,
            int inner, int width, int r0, int sweep0, int sweepColumns) {
        for (int k0 = 0; k0 < inner; k0 += PROJECTION_PANEL_DEPTH) {
            stageInputPanel(panel, x, rows, inner, r0, k0, PROJECTION_PANEL_DEPTH);
            stageInputPanel(nextPanel, x, rows, inner, r0 + ROW_TILE_ROWS, k0, PROJECTION_PANEL_DEPTH);
            for (int c = 0; c < sweepColumns; c += ROW_TILE_COLUMNS) {
                accumulateRowTilePair(tiles, nextTiles, c * ROW_TILE_ROWS, panel, nextPanel, weight, inner, width, sweep0 + c, k0, k0);
            }
        }
    }

    /**
     * {@code y += tiles + bias} for the sweep {@link #addSweepPairProducts} left: its first tile's rows from {@code r0},
     * its second's {@value #ROW_TILE_ROWS} rows later, of the {@code groupRowsLeft} rows the group has from {@code r0}.
     */
    static void addSweepPair(float[] tiles, float[] nextTiles, float[] biasRow, FloatArray bias, FloatArray y, int width, int r0, int groupRowsLeft,
            int sweep0, int sweepColumns, int hasBias) {
        for (int c = 0; c < sweepColumns; c += ROW_TILE_COLUMNS) {
            storeRowTile(tiles, c * ROW_TILE_ROWS, biasRow, bias, y, width, r0, TornadoMath.min(ROW_TILE_ROWS, groupRowsLeft), sweep0 + c, hasBias, NONE, 1);
            storeRowTile(nextTiles, c * ROW_TILE_ROWS, biasRow, bias, y, width, r0 + ROW_TILE_ROWS, TornadoMath.min(ROW_TILE_ROWS, groupRowsLeft - ROW_TILE_ROWS),
                    sweep0 + c, hasBias, NONE, 1);
        }
    }

    /**
     * {@link #addRowTileProducts} for the two row tiles from {@code r0} and {@code r0 + }{@value #ROW_TILE_ROWS} at once
     * ({@link #accumulateRowTilePair}; rows past {@code rows} read the last row): the 8-lane kernels' row tiles.
     */
    static void addRowTilePairProducts(float[] tile, float[] nextTile, float[] inputPanel, float[] nextPanel, FloatArray x, FloatArray weight, int rows,
            int inner, int cols, int r0, int col0, int firstColumnTile) {
        for (int k0 = 0; k0 < inner; k0 += PROJECTION_PANEL_DEPTH) {
            int k1 = k0 - k0 % INPUT_PANEL_DEPTH;
            if (k0 == k1) {
                if (firstColumnTile != 0 | inner > INPUT_PANEL_DEPTH) {
                    stageInputPanel(inputPanel, x, rows, inner, r0, k1, INPUT_PANEL_DEPTH);
                    stageInputPanel(nextPanel, x, rows, inner, r0 + ROW_TILE_ROWS, k1, INPUT_PANEL_DEPTH);
                }
            }
            accumulateRowTilePair(tile, nextTile, 0, inputPanel, nextPanel, weight, inner, cols, col0, k0, k1);
        }
    }

    /**
     * The row tile's products over the whole inner dimension, {@code tile[r][c] = sum_k x[r0 + r, k] W[col0 + c, k]}:
     * {@link #accumulateRowTile} panel by panel, with the input panel staged ({@link #stageInputPanel}) for the first
     * column tile an item computes of a row tile ({@code firstColumnTile} 1) and kept for its other column tiles, or
     * restaged for each where the input is wider than {@value #INPUT_PANEL_DEPTH}. The 16-lane row tiles;
     * {@link #addRowTilePairProducts} has the 8-lane ones.
     */
    static void addRowTileProducts(float[] tile, float[] inputPanel, FloatArray x, FloatArray weight, int rows, int inner, int cols, int r0, int col0,
            int firstColumnTile) {
        for (int k0 = 0; k0 < inner; k0 += PROJECTION_PANEL_DEPTH) {
            int k1 = k0 - k0 % INPUT_PANEL_DEPTH;
            if (k0 == k1) {
                if (firstColumnTile != 0 | inner > INPUT_PANEL_DEPTH) {
                    stageInputPanel(inputPanel, x, rows, inner, r0, k1, INPUT_PANEL_DEPTH);
                }
            }
            accumulateRowTile(tile, 0, inputPanel, weight, inner, cols, col0, k0, k1);
        }
    }

    /** Adds lane r of {@code column} to {@code tile[r][c]} of a row tile (see {@link #addVector} on the lanes). */
    static void addLanesDown(float[] tile, int tileAt, int c, Float16 column) {
        for (int r = 0; r < ROW_TILE_ROWS; r++) {
            tile[tileAt + r * ROW_TILE_COLUMNS + c] = tile[tileAt + r * ROW_TILE_COLUMNS + c] + column.get(r);
        }
    }

    /**
     * {@code tile = act(tile + bias)} over a row tile (from {@code tileAt}), then {@code y = tile (+ y)} for its
     * {@code tileRows} rows and the columns before {@code cols}: {@link #activateTiles} and {@link #storeTiles} for a row tile ({@code biasRow}: scratch
     * of at least {@value #ROW_TILE_COLUMNS}).
     */
    static void storeRowTile(float[] tile, int tileAt, float[] biasRow, FloatArray bias, FloatArray y, int cols, int r0, int tileRows, int col0, int hasBias,
            int activation, int accumulate) {
        for (int c = 0; c < ROW_TILE_COLUMNS; c++) {
            biasRow[c] = hasBias != 0 ? bias.get(TornadoMath.min(col0 + c, cols - 1)) : 0.0f;
        }
        for (int r = 0; r < ROW_TILE_ROWS; r++) {
            for (int c = 0; c < ROW_TILE_COLUMNS; c++) {
                tile[tileAt + r * ROW_TILE_COLUMNS + c] = activateWithoutBranches(activation, tile[tileAt + r * ROW_TILE_COLUMNS + c] + biasRow[c]);
            }
        }
        int tileCols = TornadoMath.min(ROW_TILE_COLUMNS, cols - col0);
        for (int r = 0; r < tileRows; r++) {
            int at = (r0 + r) * cols + col0;
            for (int c = 0; c < tileCols; c++) {
                float value = tile[tileAt + r * ROW_TILE_COLUMNS + c];
                y.set(at + c, accumulate != 0 ? y.get(at + c) + value : value);
            }
        }
    }

    /**
     * Adds {@code sum_k A[row0 + i, k0 + k] panel[k][j]} over the panel's {@code depth} inner values to {@code sums[i][j]}
     * for a work-item's {@code itemRows} rows (the first panel, {@code k0 == 0}, starts them at zero), with
     * {@code A[r, k] = a[r * aRowStride + k * aDepthStride]}; rows past {@code rows} read the last row. The strides are
     * the kernels' scalar arguments or constants, which TornadoVM folds into the kernel.
     *
     * <p>A tile of {@value #TILE_ROWS} rows at a time, each tile row one {@code Float16} accumulator: PoCL compiles
     * OpenCL's {@code float16} to one 512-bit {@code zmm} register, where its own vectorizer stays at 256 bits, so each
     * step over the panel is one vector load of the panel row and per tile row a multiply by a broadcast value of A and
     * an add. The accumulators start at zero for each panel and are added to sums after it: loading them from sums as
     * well, or 16 rows a tile, took this method past TornadoVM's inlining limit (600 graph nodes).
     */
    static void accumulateTiles(float[] sums, float[] panel, FloatArray a, int aRowStride, int aDepthStride, int rows, int row0, int itemRows, int k0,
            int depth) {
        if (k0 == 0) {
            // Also the rows of the last tile past itemRows, which it adds to.
            for (int e = 0; e < (itemRows + TILE_ROWS - 1) / TILE_ROWS * TILE_ROWS * TILE_COLUMNS; e++) {
                sums[e] = 0.0f;
            }
        }
        for (int t = 0; t < itemRows; t += TILE_ROWS) {
            // Separate variables, not an array: TornadoVM has no private arrays of vectors.
            int rowAt0 = TornadoMath.min(row0 + t, rows - 1) * aRowStride;
            int rowAt1 = TornadoMath.min(row0 + t + 1, rows - 1) * aRowStride;
            int rowAt2 = TornadoMath.min(row0 + t + 2, rows - 1) * aRowStride;
            int rowAt3 = TornadoMath.min(row0 + t + 3, rows - 1) * aRowStride;
            int rowAt4 = TornadoMath.min(row0 + t + 4, rows - 1) * aRowStride;
            int rowAt5 = TornadoMath.min(row0 + t + 5, rows - 1) * aRowStride;
            int rowAt6 = TornadoMath.min(row0 + t + 6, rows - 1) * aRowStride;
            int rowAt7 = TornadoMath.min(row0 + t + 7, rows - 1) * aRowStride;
            Float16 sum0 = broadcast(0.0f);
            Float16 sum1 = broadcast(0.0f);
            Float16 sum2 = broadcast(0.0f);
            Float16 sum3 = broadcast(0.0f);
            Float16 sum4 = broadcast(0.0f);
            Float16 sum5 = broadcast(0.0f);
            Float16 sum6 = broadcast(0.0f);
            Float16 sum7 = broadcast(0.0f);
            for (int k = 0; k < depth; k++) {
                Float16 w = load(panel, k * TILE_COLUMNS);
                int depthAt = (k0 + k) * aDepthStride;
                sum0 = multiplyAdd(sum0, a.get(rowAt0 + depthAt), w);
                sum1 = multiplyAdd(sum1, a.get(rowAt1 + depthAt), w);
                sum2 = multiplyAdd(sum2, a.get(rowAt2 + depthAt), w);
                sum3 = multiplyAdd(sum3, a.get(rowAt3 + depthAt), w);
                sum4 = multiplyAdd(sum4, a.get(rowAt4 + depthAt), w);
                sum5 = multiplyAdd(sum5, a.get(rowAt5 + depthAt), w);
                sum6 = multiplyAdd(sum6, a.get(rowAt6 + depthAt), w);
                sum7 = multiplyAdd(sum7, a.get(rowAt7 + depthAt), w);
            }
            addVector(sums, t * TILE_COLUMNS, sum0);
            addVector(sums, (t + 1) * TILE_COLUMNS, sum1);
            addVector(sums, (t + 2) * TILE_COLUMNS, sum2);
            addVector(sums, (t + 3) * TILE_COLUMNS, sum3);
            addVector(sums, (t + 4) * TILE_COLUMNS, sum4);
            addVector(sums, (t + 5) * TILE_COLUMNS, sum5);
            addVector(sums, (t + 6) * TILE_COLUMNS, sum6);
            addVector(sums, (t + 7) * TILE_COLUMNS, sum7);
        }
    }

    /**
     * {@link #accumulateTiles} for devices of 8-float vectors (AVX2, 16 {@code ymm} registers): tiles of
     * {@value #NARROW_TILE_ROWS} rows, whose 4 {@code Float16} sums are 8 {@code ymm} registers, beside the panel row
     * (2) and a broadcast value of A. Tiles of {@value #TILE_ROWS} rows need 16 registers for the sums alone and spilled
     * them to the stack at each step. Each output is the same serial sum over the panel, added to sums as there: the
     * same bits as {@link #accumulateTiles}. JMH at 1024 rows on PoCL, Zen 3 (2026-11-30, alternating with the 8-row
     * tiles; benchmarks/README.md): linear 6.55 / 8.30 / 7.58 ms against 8.13 / 10.93 / 12.98 ms at in x out 256x768 /
     * 256x1024 / 1024x256 (48-55 % of the sgemm beside it against 32-39 %), dW 8.5 / 14.1 / 12.2 ms against 11.6 /
     * 17.4 / 14.8 ms.
     */
    static void accumulateNarrowTiles(float[] sums, float[] panel, FloatArray a, int aRowStride, int aDepthStride, int rows, int row0, int itemRows,
            int k0, int depth) {
        if (k0 == 0) {
            for (int e = 0; e < (itemRows + NARROW_TILE_ROWS - 1) / NARROW_TILE_ROWS * NARROW_TILE_ROWS * TILE_COLUMNS; e++) {
                sums[e] = 0.0f;
            }
        }
        for (int t = 0; t < itemRows; t += NARROW_TILE_ROWS) {
            int rowAt0 = TornadoMath.min(row0 + t, rows - 1) * aRowStride;
            int rowAt1 = TornadoMath.min(row0 + t + 1, rows - 1) * aRowStride;
            int rowAt2 = TornadoMath.min(row0 + t + 2, rows - 1) * aRowStride;
            int rowAt3 = TornadoMath.min(row0 + t + 3, rows - 1) * aRowStride;
            Float16 sum0 = broadcast(0.0f);
            Float16 sum1 = broadcast(0.0f);
            Float16 sum2 = broadcast(0.0f);
            Float16 sum3 = broadcast(0.0f);
            for (int k = 0; k < depth; k++) {
                Float16 w = load(panel, k * TILE_COLUMNS);
                int depthAt = (k0 + k) * aDepthStride;
                sum0 = multiplyAdd(sum0, a.get(rowAt0 + depthAt), w);
                sum1 = multiplyAdd(sum1, a.get(rowAt1 + depthAt), w);
                sum2 = multiplyAdd(sum2, a.get(rowAt2 + depthAt), w);
                sum3 = multiplyAdd(sum3, a.get(rowAt3 + depthAt), w);
            }
            addVector(sums, t * TILE_COLUMNS, sum0);
            addVector(sums, (t + 1) * TILE_COLUMNS, sum1);
            addVector(sums, (t + 2) * TILE_COLUMNS, sum2);
            addVector(sums, (t + 3) * TILE_COLUMNS, sum3);
        }
    }

    /**
     * {@code panel[k][j] = b[(k0 + k) * cols + col0 + j]} for the panel's {@code depth} rows of b ({@code [inner, cols]},
     * contiguous along the columns, as {@link #productTiled}'s) and {@value #TILE_COLUMNS} columns, columns past
     * {@code cols} reading the last column. A tile of all 16 columns copies each row as one vector: value by value, each
     * column clamped, it was scalar code, about 15 % of dW's time (JMH at 2048 rows on PoCL, 256x1024: 5.4 -> 4.0 ms).
     */
    static void stageRowPanel(float[] panel, FloatArray b, int cols, int col0, int k0, int depth) {
        // As min(): written col0 + TILE_COLUMNS <= cols, Graal proved it true where cols is a multiple of 16 but left
        // the branch, which TornadoVM's OpenCL backend then failed to compile ("logic node").
        if (TornadoMath.min(TILE_COLUMNS, cols - col0) == TILE_COLUMNS) {
            for (int k = 0; k < depth; k++) {
                store(panel, k * TILE_COLUMNS, loadStrided(b, (k0 + k) * cols + col0, 1));
            }
        } else {
            for (int k = 0; k < depth; k++) {
                int from = (k0 + k) * cols;
                for (int j = 0; j < TILE_COLUMNS; j++) {
                    panel[k * TILE_COLUMNS + j] = b.get(from + TornadoMath.min(col0 + j, cols - 1));
                }
            }
        }
    }

    /**
     * {@code panel[k][j] = B[k0 + k, col0 + j]} for the panel's {@code depth} inner values and {@value #TILE_COLUMNS} columns
     * with {@code B[k, c] = b[c * bColumnStride + k * bDepthStride]}, columns past {@code cols} reading the last column:
     * a transposing copy ({@code B = W^T} for the projections). {@code vectorRuns != 0} does it by vector loads along b (faster
     * for a work-item of its own), {@code vectorRuns == 0} value by value: in a work-group of many items with a barrier
     * (the norm-fused projections) PoCL vectorizes the region across the items, and the vector runs then became
     * gathers and scatters (rnope-swa at L = 128 on PoCL: 12,300-13,000 tokens/s with the plain loop in every kernel, 10,300-10,500
     * with vector runs in every kernel).
     */
    static void stagePanel(float[] panel, FloatArray b, int bColumnStride, int bDepthStride, int cols, int col0, int k0, int depth, int vectorRuns) {
        // Gathered along b's contiguous dimension: walking a panel across rows of b with a power-of-two stride (a
        // 1024-column b) maps its lines to one cache set, and each line would be fetched again per column.
        if (vectorRuns == 0) {
            for (int j = 0; j < TILE_COLUMNS; j++) {
                int from = TornadoMath.min(col0 + j, cols - 1) * bColumnStride + k0 * bDepthStride;
                for (int k = 0; k < depth; k++) {
                    panel[k * TILE_COLUMNS + j] = b.get(from + k * bDepthStride);
                }
            }
        } else {
            // Transposed 16 inner values at a time: one vector load along b's run, stored lane by lane down the panel. As
            // a plain loop over k, LLVM made gathers and scatters of it, at about 5 cycles per value (a panel of W cost
            // about as much as 8 rows of products).
            int blocked = depth - depth % TILE_COLUMNS;
            for (int j = 0; j < TILE_COLUMNS; j++) {
                int from = TornadoMath.min(col0 + j, cols - 1) * bColumnStride + k0 * bDepthStride;
                for (int k = 0; k < blocked; k += TILE_COLUMNS) {
                    Float16 run = loadStrided(b, from + k * bDepthStride, bDepthStride);
                    int at = k * TILE_COLUMNS + j;
                    panel[at] = run.get(0);
                    panel[at + 1 * TILE_COLUMNS] = run.get(1);
                    panel[at + 2 * TILE_COLUMNS] = run.get(2);
                    panel[at + 3 * TILE_COLUMNS] = run.get(3);
                    panel[at + 4 * TILE_COLUMNS] = run.get(4);
                    panel[at + 5 * TILE_COLUMNS] = run.get(5);
                    panel[at + 6 * TILE_COLUMNS] = run.get(6);
                    panel[at + 7 * TILE_COLUMNS] = run.get(7);
                    panel[at + 8 * TILE_COLUMNS] = run.get(8);
                    panel[at + 9 * TILE_COLUMNS] = run.get(9);
                    panel[at + 10 * TILE_COLUMNS] = run.get(10);
                    panel[at + 11 * TILE_COLUMNS] = run.get(11);
                    panel[at + 12 * TILE_COLUMNS] = run.get(12);
                    panel[at + 13 * TILE_COLUMNS] = run.get(13);
                    panel[at + 14 * TILE_COLUMNS] = run.get(14);
                    panel[at + 15 * TILE_COLUMNS] = run.get(15);
                }
                for (int k = blocked; k < depth; k++) {
                    panel[k * TILE_COLUMNS + j] = b.get(from + k * bDepthStride);
                }
            }
        }
    }

    /** {@code b[at + l * stride]} for the 16 lanes l: one vector load where the stride is 1. */
    static Float16 loadStrided(FloatArray b, int at, int stride) {
        return new Float16(b.get(at), b.get(at + stride), b.get(at + 2 * stride), b.get(at + 3 * stride), b.get(at + 4 * stride), b.get(at + 5 * stride),
                b.get(at + 6 * stride), b.get(at + 7 * stride), b.get(at + 8 * stride), b.get(at + 9 * stride), b.get(at + 10 * stride),
                b.get(at + 11 * stride), b.get(at + 12 * stride), b.get(at + 13 * stride), b.get(at + 14 * stride), b.get(at + 15 * stride));
    }

    /**
     * Adds the 16 lanes of {@code vector} to {@code values[at]} to {@code values[at + 15]}. TornadoVM needs a constant
     * lane for {@code get}: this loop is unrolled before it is compiled (a loop over 16 lanes of several vectors was not,
     * and failed with "Invalid lane").
     */
    static void addVector(float[] values, int at, Float16 vector) {
        for (int j = 0; j < TILE_COLUMNS; j++) {
            values[at + j] = values[at + j] + vector.get(j);
        }
    }

    /** Zeroes the accumulators (private arrays are not initialised on a device). */
    static void clear(float[] acc) {
        for (int i = 0; i < ACCUMULATORS; i++) {
            acc[i] = 0.0f;
        }
    }

    /** {@code staged[j][c] = b[at + c * columnStride + j * depthStride]} for j up to last, zero rows beyond. */
    static void stage(float[] staged, FloatArray b, int at, int columnStride, int depthStride, int last, int blockCols) {
        for (int c = 0; c < blockCols; c++) {
            int from = at + c * columnStride;
            staged[c] = b.get(from);
            staged[BLOCK_COLUMNS + c] = last >= 1 ? b.get(from + depthStride) : 0.0f;
            staged[2 * BLOCK_COLUMNS + c] = last >= 2 ? b.get(from + 2 * depthStride) : 0.0f;
            staged[3 * BLOCK_COLUMNS + c] = last >= 3 ? b.get(from + 3 * depthStride) : 0.0f;
        }
    }

    /**
     * {@code rowValues[i][j] = a[base + i * rowStride + j * depthStride]} for the block's rows i and depths j up to
     * last. Past the last depth a row repeats its value at the last depth (the staged row there is zero, so it adds
     * nothing, and it is a value of the row, finite if the row is); past the last row the last row repeats (never
     * stored).
     */
    static void gatherRowValues(float[] rowValues, FloatArray a, int base, int rowStride, int depthStride, int last, int lastRow) {
        for (int i = 0; i < BLOCK_ROWS; i++) {
            int at = base + TornadoMath.min(i, lastRow) * rowStride;
            rowValues[i * DEPTH_STEP] = a.get(at);
            rowValues[i * DEPTH_STEP + 1] = a.get(at + TornadoMath.min(1, last) * depthStride);
            rowValues[i * DEPTH_STEP + 2] = a.get(at + TornadoMath.min(2, last) * depthStride);
            rowValues[i * DEPTH_STEP + 3] = a.get(at + last * depthStride);
        }
    }

    /**
     * Adds {@code sum_j rowValues[i][j] staged[j]} to accumulator rows 0 to 7 ({@link #updateLastRows}: 8 to 15).
     *
     * <p>Written out row by row: HotSpot's C2 (JDK 25) vectorizes a loop only if all its array indices are the loop
     * variable plus constants or one shared invariant, and only for a small loop body; a loop over the rows would make
     * the accumulator offset a second invariant and stay scalar (3x slower, measured). With the rows written out each
     * row's offset is a constant, and each row's loop is small. In two methods because TornadoVM inlines a method
     * only below 600 graph nodes (16 rows are 602), which is also why the kernels hold the loop over the inner
     * dimension themselves.
     */
    static void updateFirstRows(float[] acc, float[] staged, float[] rowValues, int blockCols) {
        updateRow(acc, 0, staged, rowValues, 0, blockCols);
        updateRow(acc, 1 * BLOCK_COLUMNS, staged, rowValues, 1 * DEPTH_STEP, blockCols);
        updateRow(acc, 2 * BLOCK_COLUMNS, staged, rowValues, 2 * DEPTH_STEP, blockCols);
        updateRow(acc, 3 * BLOCK_COLUMNS, staged, rowValues, 3 * DEPTH_STEP, blockCols);
        updateRow(acc, 4 * BLOCK_COLUMNS, staged, rowValues, 4 * DEPTH_STEP, blockCols);
        updateRow(acc, 5 * BLOCK_COLUMNS, staged, rowValues, 5 * DEPTH_STEP, blockCols);
        updateRow(acc, 6 * BLOCK_COLUMNS, staged, rowValues, 6 * DEPTH_STEP, blockCols);
        updateRow(acc, 7 * BLOCK_COLUMNS, staged, rowValues, 7 * DEPTH_STEP, blockCols);
    }

    /** Rows 8 to 15: see {@link #updateFirstRows}. */
    static void updateLastRows(float[] acc, float[] staged, float[] rowValues, int blockCols) {
        updateRow(acc, 8 * BLOCK_COLUMNS, staged, rowValues, 8 * DEPTH_STEP, blockCols);
        updateRow(acc, 9 * BLOCK_COLUMNS, staged, rowValues, 9 * DEPTH_STEP, blockCols);
        updateRow(acc, 10 * BLOCK_COLUMNS, staged, rowValues, 10 * DEPTH_STEP, blockCols);
        updateRow(acc, 11 * BLOCK_COLUMNS, staged, rowValues, 11 * DEPTH_STEP, blockCols);
        updateRow(acc, 12 * BLOCK_COLUMNS, staged, rowValues, 12 * DEPTH_STEP, blockCols);
        updateRow(acc, 13 * BLOCK_COLUMNS, staged, rowValues, 13 * DEPTH_STEP, blockCols);
        updateRow(acc, 14 * BLOCK_COLUMNS, staged, rowValues, 14 * DEPTH_STEP, blockCols);
        updateRow(acc, 15 * BLOCK_COLUMNS, staged, rowValues, 15 * DEPTH_STEP, blockCols);
    }

    private static void updateRow(float[] acc, int offset, float[] staged, float[] rowValues, int valuesAt, int blockCols) {
        float a0 = rowValues[valuesAt];
        float a1 = rowValues[valuesAt + 1];
        float a2 = rowValues[valuesAt + 2];
        float a3 = rowValues[valuesAt + 3];
        for (int c = 0; c < blockCols; c++) {
            acc[offset + c] = acc[offset + c] + a0 * staged[c] + a1 * staged[BLOCK_COLUMNS + c] + a2 * staged[2 * BLOCK_COLUMNS + c] + a3 * staged[3 * BLOCK_COLUMNS + c];
        }
    }

    /** {@code y = act(acc + bias) (+ y)} for the block's rows and columns ({@code accRow} accumulators per row). */
    static void storeBlock(float[] acc, int accRow, FloatArray bias, FloatArray y, int cols, int row0, int blockRows, int col0, int blockCols, int hasBias,
            int activation, int accumulate) {
        for (int i = 0; i < blockRows; i++) {
            int at = (row0 + i) * cols + col0;
            for (int c = 0; c < blockCols; c++) {
                float value = activate(activation, acc[i * accRow + c] + (hasBias != 0 ? bias.get(col0 + c) : 0.0f));
                y.set(at + c, accumulate != 0 ? y.get(at + c) + value : value);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Host-side helpers (never called from a kernel).
    // ---------------------------------------------------------------------------------------------------------

    /** The grid of every kernel here for a {@code rows x cols} output, with {@link #groupItemsForDefaultDevice()} items per group. */
    public static WorkerGrid grid(int rows, int cols) {
        return grid(rows, cols, DefaultDevice.GROUP_ITEMS);
    }

    /**
     * The grid for a {@code rows x cols} output: x = column blocks of {@value #BLOCK_COLUMNS}, y = row blocks of
     * {@value #BLOCK_ROWS} rounded up to {@code groupItems}, local size (1, groupItems). Any {@code groupItems >= 1}
     * gives the same result.
     */
    public static WorkerGrid grid(int rows, int cols, int groupItems) {
        if (groupItems < 1) {
            throw new IllegalArgumentException("groupItems must be >= 1, got " + groupItems);
        }
        int columnBlocks = blocks(cols, BLOCK_COLUMNS);
        int rowBlocks = LinearKernels.roundUp(blocks(rows, ITEM_ROWS), groupItems);
        WorkerGrid grid = new WorkerGrid2D(columnBlocks, rowBlocks);
        grid.setLocalWork(1, groupItems, 1);
        return grid;
    }

    /**
     * The grid of {@link #linearTiled} (and the other projections' register tiles) for a {@code rows x cols} output:
     * x = column blocks of {@value #TILE_COLUMNS}, y = row blocks of {@value #TILED_ITEM_ROWS} rounded up to
     * {@code groupItems}, local size (1, groupItems).
     */
    public static WorkerGrid tiledGrid(int rows, int cols, int groupItems) {
        return tiledGrid(rows, cols, TILED_ITEM_ROWS, groupItems);
    }

    /** The grid of {@link #productTiled}: {@link #tiledGrid}'s with row blocks of {@value #PRODUCT_ITEM_ROWS}. */
    public static WorkerGrid productTiledGrid(int rows, int cols, int groupItems) {
        return tiledGrid(rows, cols, PRODUCT_ITEM_ROWS, groupItems);
    }

    private static WorkerGrid tiledGrid(int rows, int cols, int itemRows, int groupItems) {
        if (groupItems < 1) {
            throw new IllegalArgumentException("groupItems must be >= 1, got " + groupItems);
        }
        WorkerGrid grid = new WorkerGrid2D(blocks(cols, TILE_COLUMNS), LinearKernels.roundUp(blocks(rows, itemRows), groupItems));
        grid.setLocalWork(1, groupItems, 1);
        return grid;
    }

    /**
     * The grid of {@link #normLinearTiled} and its siblings for a {@code rows x cols} output: one work-group of
     * {@value #NORM_GROUP_ITEMS} items along x per {@code groupRows} rows along y (the items of a group share its columns,
     * so {@code cols} does not change the grid).
     */
    public static WorkerGrid normTiledGrid(int rows, int cols, int groupRows) {
        if (groupRows < Normalization.ROW_GROUP || groupRows > TILED_ITEM_ROWS || groupRows % Normalization.ROW_GROUP != 0) {
            throw new IllegalArgumentException("groupRows must be a multiple of " + Normalization.ROW_GROUP + " up to " + TILED_ITEM_ROWS + ", got " + groupRows);
        }
        WorkerGrid grid = new WorkerGrid2D(NORM_GROUP_ITEMS, blocks(rows, groupRows));
        grid.setLocalWork(NORM_GROUP_ITEMS, 1, 1);
        return grid;
    }

    /**
     * Rows per work-group of {@link #normLinearTiled} and its siblings for {@code rows} rows on a device that runs
     * {@code parallelGroups} work-groups at once (an OpenCL CPU device: its cores), or 0 when the norm should stay a
     * task of its own. A group runs on one core and covers every column of its rows, so the groups must give every core
     * one, and the busiest core's rows decide the time: of {@value #TILED_ITEM_ROWS} down to
     * {@value #MIN_NORM_GROUP_ROWS} rows by halves, the size whose busiest core has the fewest rows, each group counted
     * {@value #GROUP_STAGING_ROWS} rows more for staging its panels of W (fewer rows per group stage W more often);
     * the larger size on a tie. 300 rows on 2 cores: 64 (3 and 2 groups: 192 rows on the busier core), where 256 would
     * leave one core 256 rows and the other 44.
     */
    public static int normGroupRows(int rows, int parallelGroups) {
        int best = 0;
        long bestCost = Long.MAX_VALUE;
        for (int groupRows = TILED_ITEM_ROWS; groupRows >= MIN_NORM_GROUP_ROWS; groupRows /= 2) {
            int groups = blocks(rows, groupRows);
            if (groups >= parallelGroups) {
                long cost = (long) blocks(groups, parallelGroups) * (groupRows + GROUP_STAGING_ROWS);
                if (cost < bestCost) {
                    best = groupRows;
                    bestCost = cost;
                }
            }
        }
        return best;
    }

    /**
     * What gathering a 256-deep panel of W costs a group, in rows of its products: one scalar load and store per
     * element against 2 vector FMAs per row and depth step (a second gather per panel added 8-20 % to a 128-row item,
     * measured on PoCL).
     */
    static final int GROUP_STAGING_ROWS = 16;

    /** {@link #GPU_GROUP_ITEMS} if TornadoVM's default device is a GPU, else {@link #CPU_GROUP_ITEMS} (also on the JVM). */
    public static int groupItemsForDefaultDevice() {
        return DefaultDevice.GROUP_ITEMS;
    }

    /** Work-items per group for a device of this type. */
    public static int groupItemsFor(TornadoDeviceType type) {
        return type == TornadoDeviceType.GPU ? GPU_GROUP_ITEMS : CPU_GROUP_ITEMS;
    }

    private static int blocks(int size, int block) {
        return (Math.max(size, 1) + block - 1) / block;
    }

    /** Looked up once: the type of TornadoVM's default device (backend 0, device 0). */
    private static final class DefaultDevice {
        static final int GROUP_ITEMS = lookUp();

        private static int lookUp() {
            try {
                TornadoDevice device = TornadoExecutionPlan.getDevice(0, 0);
                return groupItemsFor(device.getDeviceType());
            } catch (RuntimeException | LinkageError e) {
                // No TornadoVM runtime that can name a device: the JVM implementation or a broken SDK, where the
                // group size only matters for speed.
                return CPU_GROUP_ITEMS;
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // The last block's last task fused with the model's final norm.
    // ---------------------------------------------------------------------------------------------------------

    /**
     * A pre-norm block's feed-forward down projection with its residual add, then the model's final norm of x in place,
     * and, where asked, each sequence's last position copied out, in one task: {@code x += input R^T + rb},
     * {@code x = norm(x)}, {@code lastPositions[b] = x[b, seqLen - 1]} ({@link SequencePooling#lastPosition}). Over
     * {@link #normTiledGrid}{@code (rows, width, groupRows)}: a work-group owns {@code groupRows} rows and every column;
     * it adds the projection of its rows into x in row tiles, swept as {@link #residualNormLinearTiled}'s down phase is
     * ({@link #ROW_SWEEP_COLUMNS}; the bits of {@link #linearTiled} with {@code accumulate}), then, after a barrier, normalises the group's rows of x in
     * place ({@link Normalization#normalizeGroupRows}: the norm kernel's bits), then copies the last positions among the
     * group's rows. The same bits as those two or three tasks, with one or two tasks fewer.
     *
     * @param lastPositions {@code [rows / seqLen, width]}, written when {@code flags} asks for it
     * @param flags         1 if the projection has a bias ({@code residualBias} read), plus 2 to copy the last positions,
     *                      plus 4 times the norm ({@link Normalization#LAYER_NORM} or {@link Normalization#RMS_NORM};
     *                      {@code normBias} read for a LayerNorm), plus {@link #RESIDUAL_NORM_EIGHT_LANES} for the
     *                      8-lane row tiles
     */
    public static void residualNormTiled(KernelContext context, FloatArray input, FloatArray residualWeight, FloatArray residualBias, FloatArray x,
            FloatArray normWeight, FloatArray normBias, FloatArray lastPositions, int rows, int inner, int width, int seqLen, int groupRows, int flags,
            float eps) {
        int row0 = context.groupIdy * groupRows;
        int groupEnd = TornadoMath.min(rows, row0 + groupRows);
        int lanes = (flags & RESIDUAL_NORM_EIGHT_LANES) != 0 ? 8 : 16;
        float[] inputPanel = new float[PROJECTION_PANEL_DEPTH * ROW_TILE_ROWS];
        float[] tiles = new float[ROW_TILE_ROWS * ROW_SWEEP_COLUMNS];
        float[] biasRow = new float[ROW_TILE_COLUMNS];
        if (lanes == 8) {
            float[] nextInputPanel = new float[PROJECTION_PANEL_DEPTH * ROW_TILE_ROWS];
            float[] nextTiles = new float[ROW_TILE_ROWS * ROW_SWEEP_COLUMNS];
            for (int r0 = row0; r0 < groupEnd; r0 += 2 * ROW_TILE_ROWS) {
                for (int sweep0 = context.localIdx * ROW_SWEEP_COLUMNS; sweep0 < width; sweep0 += context.localGroupSizeX * ROW_SWEEP_COLUMNS) {
                    int sweepColumns = TornadoMath.min(ROW_SWEEP_COLUMNS, width - sweep0);
                    addSweepPairProducts(tiles, nextTiles, inputPanel, nextInputPanel, input, residualWeight, rows, inner, width, r0, sweep0, sweepColumns);
                    addSweepPair(tiles, nextTiles, biasRow, residualBias, x, width, r0, groupEnd - r0, sweep0, sweepColumns, flags & 1);
                }
            }
        } else {
            for (int r0 = row0; r0 < groupEnd; r0 += ROW_TILE_ROWS) {
                for (int sweep0 = context.localIdx * ROW_SWEEP_COLUMNS; sweep0 < width; sweep0 += context.localGroupSizeX * ROW_SWEEP_COLUMNS) {
                    int sweepColumns = TornadoMath.min(ROW_SWEEP_COLUMNS, width - sweep0);
                    for (int k0 = 0; k0 < inner; k0 += PROJECTION_PANEL_DEPTH) {
                        stageInputPanel(inputPanel, input, rows, inner, r0, k0, PROJECTION_PANEL_DEPTH);
                        for (int c = 0; c < sweepColumns; c += ROW_TILE_COLUMNS) {
                            accumulateRowTile(tiles, c * ROW_TILE_ROWS, inputPanel, residualWeight, inner, width, sweep0 + c, k0, k0);
                        }
                    }
                    for (int c = 0; c < sweepColumns; c += ROW_TILE_COLUMNS) {
                        storeRowTile(tiles, c * ROW_TILE_ROWS, biasRow, residualBias, x, width, r0, TornadoMath.min(ROW_TILE_ROWS, groupEnd - r0), sweep0 + c,
                                flags & 1, NONE, 1);
                    }
                }
            }
        }
        context.globalBarrier();
        int[] base = new int[Normalization.ROW_GROUP];
        float[] rowSums = new float[Normalization.ROW_GROUP];
        float[] mean = new float[Normalization.ROW_GROUP];
        float[] meanCorrection = new float[Normalization.ROW_GROUP];
        Normalization.normalizeGroupRows(context, x, normWeight, normBias, x, base, rowSums, mean, meanCorrection, rows, width, row0, groupRows, (flags >> 2) & 3,
                eps);
        if (((flags >> 1) & 1) != 0) {
            for (int row = row0 + seqLen - 1 - row0 % seqLen; row < groupEnd; row += seqLen) {
                for (int c = context.localIdx; c < width; c += context.localGroupSizeX) {
                    lastPositions.set(row / seqLen * width + c, x.get(row * width + c));
                }
            }
        }
    }
}
