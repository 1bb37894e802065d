package org.attentionlab.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Dense projections in {@code torch.nn.Linear} layout and embedding lookups.
 *
 * <p>{@code x [rows, in]}, {@code weight [out, in]}, {@code bias [out]}, {@code y [rows, out]}:
 * {@code y = x W^T + b}. With {@code hasBias == 0} the bias array is not read (pass any array, e.g. of size 1).
 *
 * <p>The {@link KernelContext} kernels are {@link MatrixMultiply}'s blocked product (a work-item computes a block of
 * {@value MatrixMultiply#ITEM_ROWS} x {@value MatrixMultiply#BLOCK_COLUMNS} outputs) over
 * {@link MatrixMultiply#grid}; {@link #linear} is {@link MatrixMultiply#linear} without activation, kept with its
 * signature for the model. Plain Java callers run them through a task graph (the JVM implementation walks the grid),
 * which is also how the model calls them.
 */
public final class LinearKernels {

    private LinearKernels() {
    }

    // ---- kernels ----

    /**
     * {@code y = x W^T (+ b)}; run over {@link #linearGrid(int, int)}.
     *
     * @param x      {@code [rows, inFeatures]}
     * @param weight {@code [outFeatures, inFeatures]}
     * @param bias   {@code [outFeatures]}, read only when {@code hasBias != 0}
     * @param y      {@code [rows, outFeatures]}
     */
    public static void linear(KernelContext context, FloatArray x, FloatArray weight, FloatArray bias, FloatArray y, int rows, int inFeatures, int outFeatures,
            int hasBias) {
        // MatrixMultiply.linear's body, not a call of it: TornadoVM would not inline a method that large.
        int col0 = context.globalIdx * MatrixMultiply.BLOCK_COLUMNS;
        int row0 = context.globalIdy * MatrixMultiply.ITEM_ROWS;
        float[] acc = new float[MatrixMultiply.BLOCK_ROWS * MatrixMultiply.BLOCK_COLUMNS];
        float[] lowerAcc = new float[MatrixMultiply.BLOCK_ROWS * MatrixMultiply.BLOCK_COLUMNS];
        float[] staged = new float[MatrixMultiply.DEPTH_STEP * MatrixMultiply.BLOCK_COLUMNS];
        float[] rowValues = new float[MatrixMultiply.BLOCK_ROWS * MatrixMultiply.DEPTH_STEP];
        float[] lowerRowValues = new float[MatrixMultiply.BLOCK_ROWS * MatrixMultiply.DEPTH_STEP];
        if (col0 < outFeatures && row0 < rows) {
            int blockRows = TornadoMath.min(MatrixMultiply.BLOCK_ROWS, rows - row0);
            int lowerRow0 = MatrixMultiply.lowerBlockStart(rows, row0);
            int lowerRows = MatrixMultiply.lowerBlockRows(rows, row0);
            int blockCols = TornadoMath.min(MatrixMultiply.BLOCK_COLUMNS, outFeatures - col0);
            MatrixMultiply.clear(acc);
            MatrixMultiply.clear(lowerAcc);
            for (int step = 0; step < inFeatures; step += MatrixMultiply.DEPTH_STEP) {
                int last = TornadoMath.min(MatrixMultiply.DEPTH_STEP, inFeatures - step) - 1;
                MatrixMultiply.stage(staged, weight, col0 * inFeatures + step, inFeatures, 1, last, blockCols);
                MatrixMultiply.gatherRowValues(rowValues, x, row0 * inFeatures + step, inFeatures, 1, last, blockRows - 1);
                MatrixMultiply.updateFirstRows(acc, staged, rowValues, blockCols);
                MatrixMultiply.updateLastRows(acc, staged, rowValues, blockCols);
                if (lowerRows > 0) {
                    MatrixMultiply.gatherRowValues(lowerRowValues, x, lowerRow0 * inFeatures + step, inFeatures, 1, last, lowerRows - 1);
                    MatrixMultiply.updateFirstRows(lowerAcc, staged, lowerRowValues, blockCols);
                    MatrixMultiply.updateLastRows(lowerAcc, staged, lowerRowValues, blockCols);
                }
            }
            MatrixMultiply.storeBlock(acc, MatrixMultiply.BLOCK_COLUMNS, bias, y, outFeatures, row0, blockRows, col0, blockCols, hasBias, MatrixMultiply.NONE, 0);
            MatrixMultiply.storeBlock(lowerAcc, MatrixMultiply.BLOCK_COLUMNS, bias, y, outFeatures, lowerRow0, lowerRows, col0, blockCols, hasBias, MatrixMultiply.NONE, 0);
        }
    }

    /**
     * Fused query/key/value projection: one weight {@code [qFeatures + 2 kvFeatures, inFeatures]} (rows of q, then
     * k, then v, as Hugging Face's fused {@code qkv_proj}/{@code c_attn}) and bias of the same order, into three
     * separate outputs {@code q [rows, qFeatures]}, {@code k [rows, kvFeatures]}, {@code v [rows, kvFeatures]}. With
     * rows = batch * seq and features = heads * headDim each output is directly the attention layout
     * {@code [batch, seq, heads, headDim]} (one fused output would interleave q, k and v within a row). Run over
     * {@link #qkvGrid(int, int, int)}.
     */
    public static void qkvProjection(KernelContext context, FloatArray x, FloatArray weight, FloatArray bias, FloatArray q, FloatArray k, FloatArray v, int rows,
            int inFeatures, int qFeatures, int kvFeatures, int hasBias) {
        int outFeatures = qFeatures + 2 * kvFeatures;
        int col0 = context.globalIdx * MatrixMultiply.BLOCK_COLUMNS;
        int row0 = context.globalIdy * MatrixMultiply.ITEM_ROWS;
        float[] acc = new float[MatrixMultiply.BLOCK_ROWS * MatrixMultiply.BLOCK_COLUMNS];
        float[] lowerAcc = new float[MatrixMultiply.BLOCK_ROWS * MatrixMultiply.BLOCK_COLUMNS];
        float[] staged = new float[MatrixMultiply.DEPTH_STEP * MatrixMultiply.BLOCK_COLUMNS];
        float[] rowValues = new float[MatrixMultiply.BLOCK_ROWS * MatrixMultiply.DEPTH_STEP];
        float[] lowerRowValues = new float[MatrixMultiply.BLOCK_ROWS * MatrixMultiply.DEPTH_STEP];
        if (col0 < outFeatures && row0 < rows) {
            int blockRows = TornadoMath.min(MatrixMultiply.BLOCK_ROWS, rows - row0);
            int lowerRow0 = MatrixMultiply.lowerBlockStart(rows, row0);
            int lowerRows = MatrixMultiply.lowerBlockRows(rows, row0);
            int blockCols = TornadoMath.min(MatrixMultiply.BLOCK_COLUMNS, outFeatures - col0);
            MatrixMultiply.clear(acc);
            MatrixMultiply.clear(lowerAcc);
            for (int step = 0; step < inFeatures; step += MatrixMultiply.DEPTH_STEP) {
                int last = TornadoMath.min(MatrixMultiply.DEPTH_STEP, inFeatures - step) - 1;
                MatrixMultiply.stage(staged, weight, col0 * inFeatures + step, inFeatures, 1, last, blockCols);
                MatrixMultiply.gatherRowValues(rowValues, x, row0 * inFeatures + step, inFeatures, 1, last, blockRows - 1);
                MatrixMultiply.updateFirstRows(acc, staged, rowValues, blockCols);
                MatrixMultiply.updateLastRows(acc, staged, rowValues, blockCols);
                if (lowerRows > 0) {
                    MatrixMultiply.gatherRowValues(lowerRowValues, x, lowerRow0 * inFeatures + step, inFeatures, 1, last, lowerRows - 1);
                    MatrixMultiply.updateFirstRows(lowerAcc, staged, lowerRowValues, blockCols);
                    MatrixMultiply.updateLastRows(lowerAcc, staged, lowerRowValues, blockCols);
                }
            }
            storeQkv(acc, MatrixMultiply.BLOCK_COLUMNS, bias, q, k, v, row0, blockRows, col0, blockCols, qFeatures, kvFeatures, hasBias);
            storeQkv(lowerAcc, MatrixMultiply.BLOCK_COLUMNS, bias, q, k, v, lowerRow0, lowerRows, col0, blockCols, qFeatures, kvFeatures, hasBias);
        }
    }

    /**
     * {@link #qkvProjection} with {@link MatrixMultiply#linearTiled}'s register tiles (for OpenCL CPU compilers), over
     * {@link MatrixMultiply#tiledGrid}{@code (rows, qFeatures + 2 kvFeatures, groupItems)}. {@code hasBias}: a
     * {@link #qkvStoreCode} (the bias, and k and v token-major or head-major), as in the two fused forms below.
     */
    public static void qkvProjectionTiled(KernelContext context, FloatArray x, FloatArray weight, FloatArray bias, FloatArray q, FloatArray k, FloatArray v,
            int rows, int inFeatures, int qFeatures, int kvFeatures, int hasBias, int lanes) {
        int outFeatures = qFeatures + 2 * kvFeatures;
        int col0 = context.globalIdx * MatrixMultiply.TILE_COLUMNS;
        int row0 = context.globalIdy * MatrixMultiply.TILED_ITEM_ROWS;
        float[] panel = new float[MatrixMultiply.PROJECTION_PANEL_DEPTH * MatrixMultiply.TILE_COLUMNS];
        float[] sums = new float[MatrixMultiply.TILED_ITEM_ROWS * MatrixMultiply.TILE_COLUMNS];
        if (col0 < outFeatures && row0 < rows) {
            int itemRows = TornadoMath.min(MatrixMultiply.TILED_ITEM_ROWS, rows - row0);
            if (lanes == 8) {
                for (int k0 = 0; k0 < inFeatures; k0 += MatrixMultiply.PROJECTION_PANEL_DEPTH) {
                    MatrixMultiply.stageWeightPanel(panel, weight, inFeatures, outFeatures, col0, k0, 1);
                    MatrixMultiply.addNarrowPanelProducts(sums, panel, x, rows, inFeatures, row0, itemRows, k0);
                }
            } else {
                for (int k0 = 0; k0 < inFeatures; k0 += MatrixMultiply.PROJECTION_PANEL_DEPTH) {
                    MatrixMultiply.stageWeightPanel(panel, weight, inFeatures, outFeatures, col0, k0, 1);
                    MatrixMultiply.addPanelProducts(sums, panel, x, rows, inFeatures, row0, itemRows, k0);
                }
            }
            storeQkv(sums, MatrixMultiply.TILE_COLUMNS, bias, q, k, v, row0, itemRows, col0, TornadoMath.min(MatrixMultiply.TILE_COLUMNS, outFeatures - col0),
                    qFeatures, kvFeatures, hasBias);
        }
    }

    /**
     * {@link #qkvProjectionTiled} of {@code norm(x)}, with the norm in the same task as
     * {@link MatrixMultiply#normLinearTiled} has it ({@code normed}: scratch {@code [rows, inFeatures]}), over
     * {@link MatrixMultiply#normTiledGrid}{@code (rows, qFeatures + 2 kvFeatures, groupRows)}: the same bits as the
     * norm task followed by {@link #qkvProjectionTiled}.
     */
    public static void normQkvProjectionTiled(KernelContext context, FloatArray x, FloatArray normWeight, FloatArray normBias, FloatArray normed,
            FloatArray weight, FloatArray bias, FloatArray q, FloatArray k, FloatArray v, int rows, int inFeatures, int qFeatures, int kvFeatures,
            int groupRows, int norm, float eps, int hasBias, int lanes) {
        int outFeatures = qFeatures + 2 * kvFeatures;
        int row0 = context.groupIdy * groupRows;
        int[] base = new int[Normalization.ROW_GROUP];
        float[] rowSums = new float[Normalization.ROW_GROUP];
        float[] mean = new float[Normalization.ROW_GROUP];
        float[] meanCorrection = new float[Normalization.ROW_GROUP];
        float[] inputPanel = new float[MatrixMultiply.INPUT_PANEL_DEPTH * MatrixMultiply.ROW_TILE_ROWS];
        float[] tile = new float[MatrixMultiply.ROW_TILE_ROWS * MatrixMultiply.ROW_TILE_COLUMNS];
        Normalization.normalizeGroupRows(context, x, normWeight, normBias, normed, base, rowSums, mean, meanCorrection, rows, inFeatures, row0, groupRows,
                norm, eps);
        int groupEnd = TornadoMath.min(rows, row0 + groupRows);
        if (lanes == 8) {
            float[] nextInputPanel = new float[MatrixMultiply.INPUT_PANEL_DEPTH * MatrixMultiply.ROW_TILE_ROWS];
            float[] nextTile = new float[MatrixMultiply.ROW_TILE_ROWS * MatrixMultiply.ROW_TILE_COLUMNS];
            for (int r0 = row0; r0 < groupEnd; r0 += 2 * MatrixMultiply.ROW_TILE_ROWS) {
                for (int col0 = context.localIdx * MatrixMultiply.ROW_TILE_COLUMNS; col0 < outFeatures; col0 += context.localGroupSizeX * MatrixMultiply.ROW_TILE_COLUMNS) {
                    MatrixMultiply.addRowTilePairProducts(tile, nextTile, inputPanel, nextInputPanel, normed, weight, rows, inFeatures, outFeatures, r0, col0,
                            col0 < context.localGroupSizeX * MatrixMultiply.ROW_TILE_COLUMNS ? 1 : 0);
                    int tileCols = TornadoMath.min(MatrixMultiply.ROW_TILE_COLUMNS, outFeatures - col0);
                    storeQkvRowTile(tile, bias, q, k, v, r0, TornadoMath.min(MatrixMultiply.ROW_TILE_ROWS, groupEnd - r0), col0, tileCols, qFeatures, kvFeatures,
                            hasBias);
                    storeQkvRowTile(nextTile, bias, q, k, v, r0 + MatrixMultiply.ROW_TILE_ROWS,
                            TornadoMath.min(MatrixMultiply.ROW_TILE_ROWS, groupEnd - r0 - MatrixMultiply.ROW_TILE_ROWS), col0, tileCols, qFeatures, kvFeatures,
                            hasBias);
                }
            }
        } else {
            for (int r0 = row0; r0 < groupEnd; r0 += MatrixMultiply.ROW_TILE_ROWS) {
                for (int col0 = context.localIdx * MatrixMultiply.ROW_TILE_COLUMNS; col0 < outFeatures; col0 += context.localGroupSizeX * MatrixMultiply.ROW_TILE_COLUMNS) {
                    int firstColumnTile = col0 < context.localGroupSizeX * MatrixMultiply.ROW_TILE_COLUMNS ? 1 : 0;
                    MatrixMultiply.addRowTileProducts(tile, inputPanel, normed, weight, rows, inFeatures, outFeatures, r0, col0, firstColumnTile);
                    storeQkvRowTile(tile, bias, q, k, v, r0, TornadoMath.min(MatrixMultiply.ROW_TILE_ROWS, groupEnd - r0), col0,
                            TornadoMath.min(MatrixMultiply.ROW_TILE_COLUMNS, outFeatures - col0), qFeatures, kvFeatures, hasBias);
                }
            }
        }
    }

    /**
     * {@link #storeQkv} for a row tile: a whole tile of {@value MatrixMultiply#ROW_TILE_COLUMNS} columns that lies in one
     * of q, k and v (every tile where the widths are multiples of it) is stored by {@link #storeRowTileInto}, with the
     * choice made once per tile; a tile across a boundary, or past the last column, goes through {@link #storeQkv}. The
     * same values either way.
     */
    private static void storeQkvRowTile(float[] tile, FloatArray bias, FloatArray q, FloatArray k, FloatArray v, int r0, int tileRows, int col0,
            int tileCols, int qFeatures, int kvFeatures, int storeCode) {
        int hasBias = storeCode & 1;
        int kvHeadDim = kvHeadMajorHeadDim(storeCode);
        int end = col0 + MatrixMultiply.ROW_TILE_COLUMNS;
        int whole = tileCols == MatrixMultiply.ROW_TILE_COLUMNS ? 1 : 0;
        // Head-major k and v: whole tiles inside one head's columns of k or v keep a vector store per row (rows of
        // kvHeadDim floats); any other tile of k or v goes through storeQkv's per-value addresses.
        int kvColumn = col0 - qFeatures - (col0 >= qFeatures + kvFeatures ? kvFeatures : 0);
        // (max(.., 1): no division by 0 for token-major, whatever a compiler hoists.)
        int insideOneHead = kvHeadDim > 0 ? (kvColumn % TornadoMath.max(kvHeadDim, 1) + MatrixMultiply.ROW_TILE_COLUMNS <= kvHeadDim ? 1 : 0) : 1;
        // Conditions joined with &, not &&: TornadoVM 5.2.1 mis-compiles some chains of && around an if/else.
        if ((whole & (end <= qFeatures ? 1 : 0)) != 0) {
            storeRowTileInto(tile, bias, q, qFeatures, r0, tileRows, col0, col0, hasBias);
        } else if ((whole & insideOneHead & (col0 >= qFeatures ? 1 : 0) & (end <= qFeatures + kvFeatures ? 1 : 0)) != 0) {
            if (kvHeadDim > 0) {
                storeRowTileHeadMajor(tile, bias, k, kvFeatures, kvHeadDim, kvHeadMajorSeqLen(storeCode), r0, tileRows, col0, kvColumn, hasBias);
            } else {
                storeRowTileInto(tile, bias, k, kvFeatures, r0, tileRows, col0, col0 - qFeatures, hasBias);
            }
        } else if ((whole & insideOneHead & (col0 >= qFeatures + kvFeatures ? 1 : 0)) != 0) {
            if (kvHeadDim > 0) {
                storeRowTileHeadMajor(tile, bias, v, kvFeatures, kvHeadDim, kvHeadMajorSeqLen(storeCode), r0, tileRows, col0, kvColumn, hasBias);
            } else {
                storeRowTileInto(tile, bias, v, kvFeatures, r0, tileRows, col0, col0 - qFeatures - kvFeatures, hasBias);
            }
        } else {
            storeQkv(tile, MatrixMultiply.ROW_TILE_COLUMNS, bias, q, k, v, r0, tileRows, col0, tileCols, qFeatures, kvFeatures, storeCode);
        }
    }

    /**
     * {@link #storeRowTileInto} into head-major k or v ({@code [batch][kvHead][seqLen][kvHeadDim]}) for a tile whose
     * columns {@code kvColumn ..} lie inside one head: each row's columns are consecutive there too.
     */
    private static void storeRowTileHeadMajor(float[] tile, FloatArray bias, FloatArray out, int kvFeatures, int kvHeadDim, int kvSeqLen, int r0, int tileRows,
            int col0, int kvColumn, int hasBias) {
        for (int r = 0; r < tileRows; r++) {
            int at = headMajorIndex(r0 + r, kvColumn, kvFeatures, kvHeadDim, kvSeqLen);
            for (int c = 0; c < MatrixMultiply.ROW_TILE_COLUMNS; c++) {
                out.set(at + c, tile[r * MatrixMultiply.ROW_TILE_COLUMNS + c] + (hasBias != 0 ? bias.get(col0 + c) : 0.0f));
            }
        }
    }

    /**
     * Whether {@link #qkvStoreCode} can carry head-major k and v of this shape (head dimension 1..511, sequence length
     * 1..2^21-1): a layer outside it keeps k and v token-major.
     */
    public static boolean headMajorFits(int seqLen, int headDim) {
        return headDim >= 1 && headDim <= 511 && seqLen >= 1 && seqLen < 1 << 21;
    }

    /**
     * The q/k/v projections' last int, {@code hasBias} and the layout of k and v in one (the fused projection kernels
     * have no parameter left under TornadoVM's 20): bit 0 the bias; 0 above it for token-major k and v
     * ({@code [rows][kvFeatures]}, rows {@code batch x seqLen}), or for head-major ({@code [batch][kvHead][seqLen][headDim]},
     * what {@link AttentionKernels#flashTiled} reads with {@link AttentionKernels#KV_HEAD_MAJOR}) the head dimension in
     * bits 1-9 and the sequence length from bit 10. q stays token-major. Plain 0 and 1 are token-major without and with
     * a bias, as before.
     *
     * @throws IllegalArgumentException for a head dimension outside 1..511 or a sequence length outside 1..2^21-1
     */
    public static int qkvStoreCode(boolean hasBias, boolean kvHeadMajor, int seqLen, int headDim) {
        if (!kvHeadMajor) {
            return hasBias ? 1 : 0;
        }
        if (!headMajorFits(seqLen, headDim)) {
            throw new IllegalArgumentException("head-major k and v take head dimensions 1..511 and sequence lengths below 2^21, got " + headDim + ", " + seqLen);
        }
        return (hasBias ? 1 : 0) | headDim << 1 | seqLen << 10;
    }

    /** The head dimension of head-major k and v in a {@link #qkvStoreCode}, 0 for token-major. */
    private static int kvHeadMajorHeadDim(int storeCode) {
        return (storeCode >>> 1) & 511;
    }

    /** The sequence length of head-major k and v in a {@link #qkvStoreCode}. */
    private static int kvHeadMajorSeqLen(int storeCode) {
        return storeCode >>> 10;
    }

    /** Where row {@code row} (batch x seqLen + t), column {@code column} (head x kvHeadDim + d) of k or v lies head-major. */
    private static int headMajorIndex(int row, int column, int kvFeatures, int kvHeadDim, int kvSeqLen) {
        int b = row / TornadoMath.max(kvSeqLen, 1);
        int t = row - b * kvSeqLen;
        int h = column / TornadoMath.max(kvHeadDim, 1);
        return (b * kvFeatures + h * kvHeadDim) * kvSeqLen + t * kvHeadDim + column - h * kvHeadDim;
    }

    /**
     * {@code out[r0 + r, first + c] = tile[r][c] + bias[col0 + c]} over a whole row tile's columns ({@code out} has
     * {@code width} columns): a loop of constant trip count without a branch, which PoCL stores as vectors (per value,
     * {@link #storeQkv}'s choice among q, k and v kept it scalar: about 12 % of {@link #normQkvProjectionTiled}'s time at
     * L = 128 on PoCL).
     */
    private static void storeRowTileInto(float[] tile, FloatArray bias, FloatArray out, int width, int r0, int tileRows, int col0, int first, int hasBias) {
        for (int r = 0; r < tileRows; r++) {
            int at = (r0 + r) * width + first;
            for (int c = 0; c < MatrixMultiply.ROW_TILE_COLUMNS; c++) {
                out.set(at + c, tile[r * MatrixMultiply.ROW_TILE_COLUMNS + c] + (hasBias != 0 ? bias.get(col0 + c) : 0.0f));
            }
        }
    }

    /** {@code acc + bias} for a block's rows and columns, each column into q, k or v. */
    private static void storeQkv(float[] acc, int accRow, FloatArray bias, FloatArray q, FloatArray k, FloatArray v, int row0, int blockRows, int col0, int blockCols,
            int qFeatures, int kvFeatures, int storeCode) {
        int hasBias = storeCode & 1;
        int kvHeadDim = kvHeadMajorHeadDim(storeCode);
        int kvSeqLen = kvHeadMajorSeqLen(storeCode);
        for (int i = 0; i < blockRows; i++) {
            int row = row0 + i;
            for (int c = 0; c < blockCols; c++) {
                int feature = col0 + c;
                float sum = acc[i * accRow + c] + (hasBias != 0 ? bias.get(feature) : 0.0f);
                int kvColumn = feature - qFeatures - (feature >= qFeatures + kvFeatures ? kvFeatures : 0);
                int kvAt = kvHeadDim > 0 ? headMajorIndex(row, kvColumn, kvFeatures, kvHeadDim, kvSeqLen) : row * kvFeatures + kvColumn;
                if (feature < qFeatures) {
                    q.set(row * qFeatures + feature, sum);
                } else if (feature < qFeatures + kvFeatures) {
                    k.set(kvAt, sum);
                } else {
                    v.set(kvAt, sum);
                }
            }
        }
    }

    /**
     * Embedding lookup: {@code out[t, :] = table[ids[t], :]}. An id outside {@code [0, vocabSize)} gives a row of
     * zeros (a kernel cannot throw).
     *
     * @param ids   {@code [tokens]} (tokens = batch * seq)
     * @param table {@code [vocabSize, dim]}
     * @param out   {@code [tokens, dim]}
     */
    public static void embedding(IntArray ids, FloatArray table, FloatArray out, int tokens, int dim, int vocabSize) {
        for (@Parallel int token = 0; token < tokens; token++) {
            for (@Parallel int j = 0; j < dim; j++) {
                int id = ids.get(token);
                float value = 0.0f;
                if (id >= 0 && id < vocabSize) {
                    value = table.get(id * dim + j);
                }
                out.set(token * dim + j, value);
            }
        }
    }

    /**
     * The APE notebook's "embedded QKV": an embedding of width {@code 3 * width} split into q, k and v, in the
     * chunk order of {@code torch.chunk(embedding(ids), 3, dim=-1)}: {@code q[t, j] = table[id, j]},
     * {@code k[t, j] = table[id, width + j]}, {@code v[t, j] = table[id, 2 width + j]}. Out-of-range ids give zeros.
     *
     * @param table {@code [vocabSize, 3 * width]}
     * @param q     {@code [tokens, width]}, likewise {@code k} and {@code v}
     */
    public static void embeddedQkv(IntArray ids, FloatArray table, FloatArray q, FloatArray k, FloatArray v, int tokens, int width, int vocabSize) {
        for (@Parallel int token = 0; token < tokens; token++) {
            for (@Parallel int j = 0; j < width; j++) {
                int id = ids.get(token);
                float queryValue = 0.0f;
                float keyValue = 0.0f;
                float valueValue = 0.0f;
                if (id >= 0 && id < vocabSize) {
                    int base = id * 3 * width;
                    queryValue = table.get(base + j);
                    keyValue = table.get(base + width + j);
                    valueValue = table.get(base + 2 * width + j);
                }
                int index = token * width + j;
                q.set(index, queryValue);
                k.set(index, keyValue);
                v.set(index, valueValue);
            }
        }
    }

    // ---- host-side grid helpers (not kernels) ----

    /** The grid {@link #linear} expects: {@link MatrixMultiply#grid(int, int)} for a {@code rows x outFeatures} output. */
    public static WorkerGrid linearGrid(int rows, int outFeatures) {
        return MatrixMultiply.grid(rows, outFeatures);
    }

    /** The grid {@link #qkvProjection} expects: {@link #linearGrid} over {@code qFeatures + 2 kvFeatures} outputs. */
    public static WorkerGrid qkvGrid(int rows, int qFeatures, int kvFeatures) {
        return linearGrid(rows, qFeatures + 2 * kvFeatures);
    }

    static int roundUp(int value, int multiple) {
        int atLeastOne = Math.max(value, 1);
        return (atLeastOne + multiple - 1) / multiple * multiple;
    }

    // ---- backward of the embeddings ----
    //
    // The gradient of a lookup is a scatter-add into the table's gradient, which several tokens with the same id hit.
    // Without float atomics (not every device has them, and their order would make the sum vary from run to run),
    // each parallel iteration owns one column j of the table and walks the tokens in order: deterministic, the same
    // sums on every device. Cost: tokens sequential steps per work-item, dim work-items (for [batch * seq] tokens
    // this is as much work as the forward, with less parallelism: dim items instead of tokens * dim).

    /**
     * The gradient of {@link #embedding}, accumulated: {@code dTable[ids[t], j] += dOut[t, j]} for every token, in
     * token order; tokens whose id is outside {@code [0, vocabSize)} contribute nothing (their forward rows were zeros).
     *
     * @param dOut   {@code [tokens, dim]}
     * @param dTable {@code [vocabSize, dim]}, added to (zero it first for a fresh gradient)
     */
    public static void embeddingBackward(IntArray ids, FloatArray dOut, FloatArray dTable, int tokens, int dim, int vocabSize) {
        for (@Parallel int j = 0; j < dim; j++) {
            for (int token = 0; token < tokens; token++) {
                int id = ids.get(token);
                if (id >= 0 && id < vocabSize) {
                    int index = id * dim + j;
                    dTable.set(index, dTable.get(index) + dOut.get(token * dim + j));
                }
            }
        }
    }

    /**
     * The gradient of {@link #embeddedQkv}, accumulated: {@code dq}, {@code dk}, {@code dv} {@code [tokens, width]}
     * added into the three chunks of row {@code ids[t]} of {@code dTable [vocabSize, 3 * width]}, in token order;
     * out-of-range ids contribute nothing. One work-item per column of the width, each adding to its q, k and v column.
     */
    public static void embeddedQkvBackward(IntArray ids, FloatArray dq, FloatArray dk, FloatArray dv, FloatArray dTable, int tokens, int width, int vocabSize) {
        for (@Parallel int j = 0; j < width; j++) {
            for (int token = 0; token < tokens; token++) {
                int id = ids.get(token);
                if (id >= 0 && id < vocabSize) {
                    int base = id * 3 * width + j;
                    int index = token * width + j;
                    dTable.set(base, dTable.get(base) + dq.get(index));
                    dTable.set(base + width, dTable.get(base + width) + dk.get(index));
                    dTable.set(base + 2 * width, dTable.get(base + 2 * width) + dv.get(index));
                }
            }
        }
    }

    // ---- a block's first task with the copy of the model's input ----

    /**
     * {@link #normQkvProjectionTiled} of {@code input}, with {@code x = input} copied in the same task: a model's first
     * block, whose residual stream x starts as a copy of the model's input (the layers update x in place; the input
     * stays as the caller wrote it). Over {@link MatrixMultiply#normTiledGrid}{@code (rows, max(inFeatures, qFeatures +
     * 2 kvFeatures), groupRows)}: the group's items copy its rows (each a stride of the columns), then the group normalises its rows of {@code input} and projects them as {@link #normQkvProjectionTiled} does: the
     * same bits as a copy task followed by it, with one task fewer.
     */
    public static void inputNormQkvProjectionTiled(KernelContext context, FloatArray input, FloatArray x, FloatArray normWeight, FloatArray normBias,
            FloatArray normed, FloatArray weight, FloatArray bias, FloatArray q, FloatArray k, FloatArray v, int rows, int inFeatures, int qFeatures,
            int kvFeatures, int groupRows, int norm, float eps, int hasBias, int lanes) {
        int outFeatures = qFeatures + 2 * kvFeatures;
        int row0 = context.groupIdy * groupRows;
        int groupEnd = TornadoMath.min(rows, row0 + groupRows);
        for (int row = row0; row < groupEnd; row++) {
            for (int c = context.localIdx; c < inFeatures; c += context.localGroupSizeX) {
                x.set(row * inFeatures + c, input.get(row * inFeatures + c));
            }
        }
        int[] base = new int[Normalization.ROW_GROUP];
        float[] rowSums = new float[Normalization.ROW_GROUP];
        float[] mean = new float[Normalization.ROW_GROUP];
        float[] meanCorrection = new float[Normalization.ROW_GROUP];
        float[] inputPanel = new float[MatrixMultiply.INPUT_PANEL_DEPTH * MatrixMultiply.ROW_TILE_ROWS];
        float[] tile = new float[MatrixMultiply.ROW_TILE_ROWS * MatrixMultiply.ROW_TILE_COLUMNS];
        Normalization.normalizeGroupRows(context, input, normWeight, normBias, normed, base, rowSums, mean, meanCorrection, rows, inFeatures, row0, groupRows,
                norm, eps);
        if (lanes == 8) {
            float[] nextInputPanel = new float[MatrixMultiply.INPUT_PANEL_DEPTH * MatrixMultiply.ROW_TILE_ROWS];
            float[] nextTile = new float[MatrixMultiply.ROW_TILE_ROWS * MatrixMultiply.ROW_TILE_COLUMNS];
            for (int r0 = row0; r0 < groupEnd; r0 += 2 * MatrixMultiply.ROW_TILE_ROWS) {
                for (int col0 = context.localIdx * MatrixMultiply.ROW_TILE_COLUMNS; col0 < outFeatures; col0 += context.localGroupSizeX * MatrixMultiply.ROW_TILE_COLUMNS) {
                    MatrixMultiply.addRowTilePairProducts(tile, nextTile, inputPanel, nextInputPanel, normed, weight, rows, inFeatures, outFeatures, r0, col0,
                            col0 < context.localGroupSizeX * MatrixMultiply.ROW_TILE_COLUMNS ? 1 : 0);
                    int tileCols = TornadoMath.min(MatrixMultiply.ROW_TILE_COLUMNS, outFeatures - col0);
                    storeQkvRowTile(tile, bias, q, k, v, r0, TornadoMath.min(MatrixMultiply.ROW_TILE_ROWS, groupEnd - r0), col0, tileCols, qFeatures, kvFeatures,
                            hasBias);
                    storeQkvRowTile(nextTile, bias, q, k, v, r0 + MatrixMultiply.ROW_TILE_ROWS,
                            TornadoMath.min(MatrixMultiply.ROW_TILE_ROWS, groupEnd - r0 - MatrixMultiply.ROW_TILE_ROWS), col0, tileCols, qFeatures, kvFeatures,
                            hasBias);
                }
            }
        } else {
            for (int r0 = row0; r0 < groupEnd; r0 += MatrixMultiply.ROW_TILE_ROWS) {
                for (int col0 = context.localIdx * MatrixMultiply.ROW_TILE_COLUMNS; col0 < outFeatures; col0 += context.localGroupSizeX * MatrixMultiply.ROW_TILE_COLUMNS) {
                    int firstColumnTile = col0 < context.localGroupSizeX * MatrixMultiply.ROW_TILE_COLUMNS ? 1 : 0;
                    MatrixMultiply.addRowTileProducts(tile, inputPanel, normed, weight, rows, inFeatures, outFeatures, r0, col0, firstColumnTile);
                    storeQkvRowTile(tile, bias, q, k, v, r0, TornadoMath.min(MatrixMultiply.ROW_TILE_ROWS, groupEnd - r0), col0,
                            TornadoMath.min(MatrixMultiply.ROW_TILE_COLUMNS, outFeatures - col0), qFeatures, kvFeatures, hasBias);
                }
            }
        }
    }
}
